package dburl_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sluice-data/sluice/internal/awstest"
	"github.com/sluice-data/sluice/internal/dburl"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/postgres"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
)

// TestPostgresSecret opens the PostgreSQL sink with credentials from a secret
// that names an unreachable instance host: the URL's host (as an RDS Proxy
// endpoint would be) wins, the port and database come from the secret.
func TestPostgresSecret(t *testing.T) {
	t.Parallel()
	base, err := url.Parse(sinktest.PostgresDatabase(t, "pgx"))
	if err != nil {
		t.Fatal(err)
	}
	sm := secrets(t)
	ctx := awstest.Context(t)
	arn := putSecret(t, sm, "pg", map[string]any{
		"username": base.User.Username(), "password": "any password: the test server trusts 127.0.0.1",
		"engine": "postgres", "host": "instance.invalid", "port": base.Port(), "dbname": strings.TrimPrefix(base.Path, "/"),
	})
	res, err := dburl.NewResolver(dburl.Options{Secrets: sm}).Resolve(ctx, "postgres://"+base.Hostname()+"/?sslmode=disable&secret="+arn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.OpenWith(ctx, res.URL, postgres.Options{MaxConns: 2, Credentials: res.Credentials})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var user, name string
	if err := db.SQL().QueryRowContext(ctx, "SELECT current_user, current_database()").Scan(&user, &name); err != nil {
		t.Fatal(err)
	}
	if user != base.User.Username() || "/"+name != base.Path {
		t.Errorf("connected as %s to %s; want %s to %s", user, name, base.User.Username(), base.Path)
	}
	if ds, err := db.Catalog().Datasets(ctx, db.SQL()); err != nil || len(ds) != 0 {
		t.Errorf("the catalog is not usable: %v", err)
	}
}

// mariaUser creates a MariaDB user with a password, allowed into database db.
func mariaUser(t *testing.T, admin *sql.DB, db, password string) string {
	t.Helper()
	user := fmt.Sprintf("sluice_rot_%06d", rand.IntN(1e6))
	ctx := awstest.Context(t)
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, password),
		fmt.Sprintf("GRANT ALL ON %s.* TO '%s'@'%%'", db, user),
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("creating user %s: %v", user, err)
		}
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user)) })
	return user
}

func setPassword(t *testing.T, admin *sql.DB, user, password string) {
	t.Helper()
	if _, err := admin.ExecContext(awstest.Context(t), fmt.Sprintf("ALTER USER '%s'@'%%' IDENTIFIED BY '%s'", user, password)); err != nil {
		t.Fatalf("setting the password of %s: %v", user, err)
	}
}

// TestMySQLSecretRotation rotates the password of a real MariaDB user and its
// secret while the sink is open: the next new connection is refused (1045)
// with the cached password, fetches the secret once more and gets in.
func TestMySQLSecretRotation(t *testing.T) {
	t.Parallel()
	base, err := url.Parse(sinktest.MySQLDatabase(t, "mysql", mysql.DSN))
	if err != nil {
		t.Fatal(err)
	}
	adminDSN, _ := mysql.DSN(base.String())
	admin, err := sql.Open("mysql", adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	dbName := strings.TrimPrefix(base.Path, "/")
	const oldPW, newPW, otherPW = "old-Pw-4f1", "new-Pw-9c2", "other-Pw-7d3"
	user := mariaUser(t, admin, dbName, oldPW)

	sm := secrets(t)
	ctx := awstest.Context(t)
	secretValue := func(pw string) map[string]any {
		return map[string]any{"username": user, "password": pw, "engine": "mariadb", "host": base.Hostname(), "port": base.Port(), "dbname": dbName}
	}
	arn := putSecret(t, sm, "maria", secretValue(oldPW))
	sc := &countingSecrets{Client: sm}
	r := dburl.NewResolver(dburl.Options{Secrets: sc})
	res, err := r.Resolve(ctx, "mysql:///?secret="+arn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := mysql.OpenWith(ctx, res.URL, mysql.Options{MaxConns: 2, Credentials: res.Credentials})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := currentUser(t, db.SQL()); !strings.HasPrefix(got, user+"@") {
		t.Fatalf("connected as %s, want %s", got, user)
	}

	// Rotation: the database and the secret change; the pool's connection
	// stays open, and the cache still holds the old password.
	setPassword(t, admin, user, newPW)
	updateSecret(t, sm, arn, secretValue(newPW))
	oldURL := *base
	oldURL.User = url.UserPassword(user, oldPW)
	if _, err := mysql.Open(ctx, oldURL.String()); !isAccessDenied(err) {
		t.Fatalf("the old password still opens the database (%v): the test proves nothing", err)
	} else if strings.Contains(err.Error(), oldPW) {
		t.Errorf("the error shows the password")
	}
	if n := sc.n.Load(); n != 1 {
		t.Fatalf("%d fetches before any refusal", n)
	}
	held, err := db.SQL().Conn(ctx) // the pool's one connection: the next one is new
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if got := currentUser(t, db.SQL()); !strings.HasPrefix(got, user+"@") {
		t.Errorf("connected as %s after the rotation", got)
	}
	if n := sc.n.Load(); n != 2 {
		t.Errorf("%d fetches; want the first and exactly one after the refusal", n)
	}
	if st := db.SQL().Stats(); st.OpenConnections != 2 {
		t.Errorf("%d open connections; want the held one and the new one", st.OpenConnections)
	}
	held.Close()

	// A password changed without the secret: the new connection fails after
	// one more fetch, with a message naming the secret, not the password.
	setPassword(t, admin, user, otherPW)
	db2, err := mysql.OpenWith(ctx, res.URL, mysql.Options{MaxConns: 2, Credentials: res.Credentials})
	if err == nil {
		db2.Close()
		t.Fatal("opened with a password that the database refuses")
	}
	if !isAccessDenied(err) || !strings.Contains(err.Error(), arn) || !strings.Contains(err.Error(), "still holds the refused password") {
		t.Errorf("error %v; want access denied, naming the secret and what to do", err)
	}
	for _, pw := range []string{oldPW, newPW, otherPW} {
		if strings.Contains(err.Error(), pw) {
			t.Errorf("the error shows a password")
		}
	}
	if n := sc.n.Load(); n != 3 {
		t.Errorf("%d fetches; want one more after the refusal", n)
	}
}

func isAccessDenied(err error) bool {
	var me *driver.MySQLError
	return errors.As(err, &me) && me.Number == 1045
}

func currentUser(t *testing.T, db *sql.DB) string {
	t.Helper()
	var u string
	if err := db.QueryRowContext(awstest.Context(t), "SELECT CURRENT_USER()").Scan(&u); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestPostgresIAMTokenPerConnection opens the PostgreSQL sink with auth=iam
// and a pool of 2: every new connection makes a token, a reused one does not.
// The test server trusts 127.0.0.1 and never checks the token (no RDS here);
// TestIAMToken checks its shape.
func TestPostgresIAMTokenPerConnection(t *testing.T) {
	t.Parallel()
	base, err := url.Parse(sinktest.PostgresDatabase(t, "pgx"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := awstest.Context(t)
	r, creds := iamResolver()
	q := base.Query()
	q.Del("sslmode") // auth=iam asks for TLS: the test server has it
	q.Set("auth", "iam")
	base.RawQuery = q.Encode()
	res, err := r.Resolve(ctx, base.String())
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.OpenWith(ctx, res.URL, postgres.Options{MaxConns: 2, Credentials: res.Credentials})
	if err != nil {
		t.Fatalf("%v (does the test server have ssl = on?)", err)
	}
	defer db.Close()
	sdb := db.SQL()
	tokens := func() int { return int(creds.n.Load()) }
	if n, open := tokens(), sdb.Stats().OpenConnections; n != open || n != 1 {
		t.Fatalf("%d tokens for %d connections after Open; want one each", n, open)
	}
	var ssl bool
	if err := sdb.QueryRowContext(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil || !ssl {
		t.Errorf("the connection does not use TLS (%v)", err)
	}
	pid := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) int {
		var p int
		if err := q.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := pid(sdb)
	for i := range 3 {
		if p := pid(sdb); p != first || tokens() != 1 {
			t.Fatalf("acquisition %d: backend %d (first %d), %d tokens; want the idle connection reused without a token", i+2, p, first, tokens())
		}
	}
	a, err := sdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pid(a) == pid(b) || tokens() != 2 {
		t.Fatalf("two connections held, %d tokens; want a new connection with a new token", tokens())
	}
	// A third acquisition waits for one of the two: the pool never grows past 2.
	third := make(chan int, 1)
	go func() {
		c, err := sdb.Conn(ctx)
		if err != nil {
			third <- -1
			return
		}
		defer c.Close()
		third <- pid(c)
	}()
	for sdb.Stats().WaitCount == 0 {
		if ctx.Err() != nil {
			t.Fatal("the third acquisition never waited")
		}
		time.Sleep(5 * time.Millisecond)
	}
	aPID := pid(a)
	a.Close()
	if p := <-third; p != aPID || tokens() != 2 {
		t.Errorf("the third acquisition got backend %d (released %d), %d tokens; want the released connection", p, aPID, tokens())
	}
	b.Close()
	var backends int
	if err := sdb.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").Scan(&backends); err != nil || backends > 2 {
		t.Errorf("%d backends on the test database (%v); want at most 2", backends, err)
	}
	// A forced reconnect: dropping the idle connections makes the next one new.
	sdb.SetMaxIdleConns(0)
	sdb.SetMaxIdleConns(2)
	if pid(sdb); tokens() != 3 {
		t.Errorf("%d tokens after a reconnect; want 3", tokens())
	}
}
