package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sluice-data/sluice/internal/awstest"
	"github.com/sluice-data/sluice/internal/engine"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
)

// awsForDB points the process's AWS configuration at a fresh moto server and
// empties the resolver cache, for the rest of the test. Not for parallel tests.
func awsForDB(t *testing.T) *secretsmanager.Client {
	t.Helper()
	endpoint := awstest.Moto(t)
	awstest.Env(t, endpoint)
	reset := func() {
		dbResolver.mu.Lock()
		dbResolver.r = nil
		dbResolver.mu.Unlock()
	}
	reset()
	t.Cleanup(reset)
	return secretsmanager.NewFromConfig(awstest.Config(endpoint))
}

func createSecret(t *testing.T, sm *secretsmanager.Client, v map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(v)
	out, err := sm.CreateSecret(awstest.Context(t), &secretsmanager.CreateSecretInput{
		Name: aws.String(fmt.Sprintf("sluice/test-%06d", rand.IntN(1e6))), SecretString: aws.String(string(b)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

type sqlDB interface{ SQL() *sql.DB }

// TestRunWithSecret runs `sluice run` on PostgreSQL and on MariaDB with a
// database URL that names a Secrets Manager secret (in moto), then opens the
// database as the Lambda wiring will: a pool of 2 that a run fits in.
func TestRunWithSecret(t *testing.T) {
	sm := awsForDB(t)
	const password = "Db-Pa55-from-the-secret"
	for _, tc := range []struct {
		name   string
		url    func(t *testing.T) (secret map[string]any, dbURL func(arn string) string)
		active string // counts this database's connections
	}{
		{"postgres", func(t *testing.T) (map[string]any, func(string) string) {
			base, _ := url.Parse(sinktest.PostgresDatabase(t, "pgx"))
			return map[string]any{"engine": "postgres", "username": base.User.Username(), "password": password,
					"host": base.Hostname(), "port": base.Port(), "dbname": strings.TrimPrefix(base.Path, "/")},
				func(arn string) string { return "postgres://?sslmode=disable&secret=" + arn }
		}, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"},
		{"mariadb", func(t *testing.T) (map[string]any, func(string) string) {
			base, _ := url.Parse(sinktest.MySQLDatabase(t, "mysql", mysql.DSN))
			dbName := strings.TrimPrefix(base.Path, "/")
			dsn, _ := mysql.DSN(base.String())
			admin, err := sql.Open("mysql", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { admin.Close() })
			user := fmt.Sprintf("sluice_cli_%06d", rand.IntN(1e6))
			for _, q := range []string{
				fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, password),
				fmt.Sprintf("GRANT ALL ON %s.* TO '%s'@'%%'", dbName, user),
			} {
				if _, err := admin.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() { admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user)) })
			return map[string]any{"engine": "mariadb", "username": user, "password": password,
					"host": base.Hostname(), "port": base.Port(), "dbname": dbName},
				func(arn string) string { return "mysql://" + base.Host + "/?secret=" + arn }
		}, "SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE()"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret, dbURL := tc.url(t)
			arn := createSecret(t, sm, secret)
			dir := writeProject(t, map[string]string{
				"sluice.yaml":           "version: 1\n",
				"pipelines/orders.yaml": ordersSpec,
				"data/in/a.csv":         "id,amount\n1,2.50\n2,3\n",
			})
			env := map[string]string{"SLUICE_DATABASE_URL": dbURL(arn)}
			out, errOut, code := sluice(t, env, "run", "-p", dir, "orders", "--json", "--log-level", "debug")
			if code != 0 || !strings.Contains(out, `"rows_loaded":2`) {
				t.Fatalf("sluice run: %d\n%s\n%s", code, out, errOut)
			}
			if strings.Contains(out+errOut, password) {
				t.Errorf("sluice run printed the password")
			}

			// As in Lambda: a pool of 2, used by a run and the catalog.
			proj, err := loadProject(&Env{Getenv: func(k string) string { return env[k] }}, dir)
			if err != nil {
				t.Fatal(err)
			}
			ctx := awstest.Context(t)
			db, err := openDB(ctx, proj, dbOptions{Lambda: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			sdb := db.(sqlDB).SQL()
			if max := sdb.Stats().MaxOpenConnections; max != lambdaMaxConns {
				t.Errorf("MaxOpenConnections %d in Lambda mode, want %d", max, lambdaMaxConns)
			}
			cenv := &Env{Getenv: func(string) string { return "" }}
			eng := newEngine(cenv, proj, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
			pipes, err := selectPipelines(ctx, cenv, proj, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			res, err := eng.Run(ctx, pipes[0], engine.Options{FullRefresh: true, Trigger: "test"})
			if err != nil || res.RowsLoaded != 2 {
				t.Fatalf("run in Lambda mode: %v (%+v)", err, res)
			}
			var n int
			if err := sdb.QueryRowContext(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil || n != 2 {
				t.Errorf("orders: %d rows, %v", n, err)
			}
			if st := sdb.Stats(); st.OpenConnections > lambdaMaxConns {
				t.Errorf("%d connections open", st.OpenConnections)
			}
			var active int
			if err := sdb.QueryRowContext(ctx, tc.active).Scan(&active); err != nil || active > lambdaMaxConns {
				t.Errorf("the server sees %d connections to the test database (%v); want at most %d", active, err, lambdaMaxConns)
			}
		})
	}
}

// TestOpenDBSecretErrors checks the messages of a secret that cannot be read.
func TestOpenDBSecretErrors(t *testing.T) {
	sm := awsForDB(t)
	arn := createSecret(t, sm, map[string]any{"username": "u"})
	for _, tc := range []struct{ url, want string }{
		{"postgres://127.0.0.1/x?secret=" + arn, `no "username" or no "password"`},
		{"mysql://127.0.0.1/x?secret=no-such-secret", "secret no-such-secret: no such secret"},
		{"postgres://u@127.0.0.1/x?auth=iam&sslmode=disable", "needs TLS"},
	} {
		dir := writeProject(t, map[string]string{"sluice.yaml": "version: 1\ndatabase: " + tc.url + "\n"})
		proj, err := loadProject(&Env{Getenv: func(string) string { return "" }}, dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := openDB(context.Background(), proj); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error saying %q", tc.url, err, tc.want)
		}
	}
}
