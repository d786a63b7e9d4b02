// Command dbload measures loading a CSV file of N rows and 10 mixed columns into
// PostgreSQL and MariaDB, side by side in one session: `sluice run` (append into
// an empty table; merge into a table that already holds the same keys), the
// databases' own bulk paths (psql \copy, mysql LOAD DATA LOCAL INFILE), and the
// classic pandas read_csv + to_sql. Run from the repository root:
//
//	go run ./bench/dbload -rows 1000000
//
// PostgreSQL and MariaDB must listen on 127.0.0.1 (make services); the pandas
// baseline needs Debian's python3-pandas, python3-sqlalchemy, python3-psycopg2 and
// python3-pymysql, and is skipped when they are missing.
package main

import (
	"bufio"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sluice-data/sluice/bench/harness"
)

var (
	pgAdmin = flag.String("postgres", "postgres://root@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL admin URL")
	myHost  = flag.String("mysql-host", "127.0.0.1", "MariaDB host (user root, no password)")
	pandas  = flag.Bool("pandas", true, "run the pandas baseline (slow)")
	mysqlOn = flag.Bool("mysql", true, "run the MariaDB measurements")
	python  = flag.String("python", "/usr/bin/python3", "Python with pandas")
)

func main() {
	var rows harness.Sizes
	flag.Var(&rows, "rows", "rows (repeatable); default 1000000")
	flag.Parse()
	if len(rows) == 0 {
		rows = harness.Sizes{1_000_000}
	}
	if err := run(rows); err != nil {
		fmt.Fprintln(os.Stderr, "dbload:", err)
		os.Exit(1)
	}
}

const columns = "id bigint, customer text, email text, amount numeric(12,2), qty integer, price double precision, created timestamp, shipped date, active boolean, note text"

const specTemplate = `version: 1
name: %s
source: {path: in/, pattern: "*.csv"}
transform:
  - cast:
      id: bigint
      customer: text
      email: text
      amount: decimal(12,2)
      qty: integer
      price: double
      created: timestamp('%%Y-%%m-%%d %%H:%%M:%%S')
      shipped: date
      active: boolean
      note: text
target: {table: %s, mode: %s%s}
`

func run(rows harness.Sizes) error {
	tmp, err := os.MkdirTemp("", "sluice-dbload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := harness.BuildSluice(tmp)
	if err != nil {
		return err
	}
	fmt.Printf("machine: %s\n", harness.Machine())
	fmt.Printf("%-34s %9s %9s %11s %8s %s\n", "loader", "rows", "seconds", "rows/s", "RSS MB", "ratio")
	for _, n := range rows {
		dir := filepath.Join(tmp, strconv.Itoa(n))
		csvPath := filepath.Join(dir, "data", "in", "orders.csv")
		if err := writeCSV(csvPath, n); err != nil {
			return err
		}
		os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755)
		os.WriteFile(filepath.Join(dir, "pipelines", "append.yaml"), []byte(fmt.Sprintf(specTemplate, "bench_append", "bench_append", "append", "")), 0o644)
		os.WriteFile(filepath.Join(dir, "pipelines", "merge.yaml"), []byte(fmt.Sprintf(specTemplate, "bench_merge", "bench_merge", "merge", ", key: [id]")), 0o644)

		pgURL := strings.Replace(*pgAdmin, "/postgres?", "/sluice_bench?", 1)
		resetPG := func() error { return recreatePG(*pgAdmin, "sluice_bench") }
		sluice := func(dbURL string, args ...string) func() *exec.Cmd {
			return func() *exec.Cmd {
				cmd := exec.Command(bin, append([]string{"run", "--project", dir, "--json"}, args...)...)
				cmd.Env = append(os.Environ(), "SLUICE_DATABASE_URL="+dbURL)
				return cmd
			}
		}
		var base time.Duration
		report := func(name string, r harness.Result, isBase bool) {
			ratio := ""
			if isBase {
				base = r.Wall
				ratio = "baseline"
			} else if base > 0 {
				ratio = fmt.Sprintf("%.2fx", r.Wall.Seconds()/base.Seconds())
			}
			fmt.Printf("%-34s %9d %9.2f %11.0f %8d %s\n", name, n, r.Wall.Seconds(), float64(n)/r.Wall.Seconds(), r.PeakRSS, ratio)
		}

		// PostgreSQL.
		r, err := harness.Measure(func() *exec.Cmd {
			return exec.Command("psql", pgURL, "-q", "-c", "CREATE TABLE bench_copy ("+columns+")", "-c", `\copy bench_copy FROM '`+csvPath+`' CSV HEADER`)
		}, resetPG, 1)
		if err != nil {
			return err
		}
		report("postgres: psql \\copy", r, true)
		if r, err = harness.Measure(sluice(pgURL, "bench_append"), resetPG, 1); err != nil {
			return err
		}
		report("postgres: sluice run (append)", r, false)
		if r, err = harness.Measure(sluice(pgURL, "bench_merge", "--full-refresh"), func() error {
			if err := resetPG(); err != nil {
				return err
			}
			return sluice(pgURL, "bench_merge")().Run() // the table holds every key already
		}, 1); err != nil {
			return err
		}
		report("postgres: sluice run (merge, all keys)", r, false)
		if *pandas {
			if r, err = harness.Measure(pandasCmd(csvPath, "postgresql+psycopg2://root@127.0.0.1:5432/sluice_bench"), resetPG, 1); err != nil {
				fmt.Printf("%-34s skipped: %v\n", "postgres: pandas to_sql", firstLine(err))
			} else {
				report("postgres: pandas to_sql", r, false)
			}
		}
		if !*mysqlOn {
			continue
		}
		// MariaDB.
		myURL := "mysql://root@" + *myHost + ":3306/sluice_bench"
		resetMy := func() error { return recreateMySQL(*myHost, "sluice_bench") }
		base = 0
		if r, err = harness.Measure(func() *exec.Cmd {
			return exec.Command("mysql", "--local-infile=1", "-h", *myHost, "-u", "root", "sluice_bench", "-e",
				"CREATE TABLE bench_load (id BIGINT, customer LONGTEXT, email LONGTEXT, amount DECIMAL(12,2), qty INT, price DOUBLE, created DATETIME(6), shipped DATE, active BOOLEAN, note LONGTEXT); "+
					"LOAD DATA LOCAL INFILE '"+csvPath+"' INTO TABLE bench_load FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\\n' IGNORE 1 LINES "+
					"(id, customer, email, amount, qty, price, created, shipped, @active, @note) SET active = (@active = 'true'), note = NULLIF(@note, '')")
		}, resetMy, 1); err != nil {
			return err
		}
		report("mariadb: mysql LOAD DATA", r, true)
		if r, err = harness.Measure(sluice(myURL, "bench_append"), resetMy, 1); err != nil {
			fmt.Printf("%-34s failed: %v\n", "mariadb: sluice run (append)", firstLine(err))
		} else {
			report("mariadb: sluice run (append)", r, false)
		}
		if r, err = harness.Measure(sluice(myURL, "bench_merge", "--full-refresh"), func() error {
			if err := resetMy(); err != nil {
				return err
			}
			return sluice(myURL, "bench_merge")().Run()
		}, 1); err != nil {
			fmt.Printf("%-34s failed: %v\n", "mariadb: sluice run (merge)", firstLine(err))
		} else {
			report("mariadb: sluice run (merge, all keys)", r, false)
		}
		if *pandas {
			if r, err = harness.Measure(pandasCmd(csvPath, "mysql+pymysql://root@"+*myHost+":3306/sluice_bench"), resetMy, 1); err != nil {
				fmt.Printf("%-34s skipped: %v\n", "mariadb: pandas to_sql", firstLine(err))
			} else {
				report("mariadb: pandas to_sql", r, false)
			}
		}
	}
	return nil
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// pandasCmd is the classic Python load: read_csv, then to_sql in chunks.
func pandasCmd(csvPath, url string) func() *exec.Cmd {
	script := `import sys, pandas as pd, sqlalchemy
df = pd.read_csv(sys.argv[1], parse_dates=["created", "shipped"])
engine = sqlalchemy.create_engine(sys.argv[2])
df.to_sql("bench_pandas", engine, if_exists="replace", index=False, chunksize=10000)
`
	return func() *exec.Cmd { return exec.Command(*python, "-c", script, csvPath, url) }
}

func recreatePG(admin, name string) error {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
		return err
	}
	_, err = db.Exec("CREATE DATABASE " + name)
	return err
}

func recreateMySQL(host, name string) error {
	db, err := sql.Open("mysql", "root@tcp("+host+":3306)/")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec("DROP DATABASE IF EXISTS " + name); err != nil {
		return err
	}
	_, err = db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4")
	return err
}

// writeCSV writes n deterministic rows of 10 mixed columns: ids, text with
// quotes and commas, decimals, integers, doubles, timestamps, dates, booleans and
// NULLs.
func writeCSV(path string, n int) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "id,customer,email,amount,qty,price,created,shipped,active,note")
	names := []string{`"Doe, Jane"`, `"O'Brien ""Bob"""`, "Müller", `"Smith, John ""JJ"""`, "Rossi", "García"}
	notes := []string{"", "gift wrap", `"call before, please"`, "", "fragile", ""}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, "%d,%s,user%d@example.com,%d.%02d,%d,%d.%d,2026-%02d-%02d %02d:%02d:%02d,2026-%02d-%02d,%t,%s\n",
			i, names[i%len(names)], i, i%10000, i%100, i%50+1, i%997, i%10,
			i%12+1, i%28+1, i%24, i%60, (i*7)%60, (i+3)%12+1, (i+5)%28+1, i%3 == 0, notes[i%len(notes)])
	}
	return w.Flush()
}
