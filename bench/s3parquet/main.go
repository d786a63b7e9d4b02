// Command s3parquet measures loading a Parquet file of N rows (default 3M) from
// S3 into PostgreSQL with `sluice run`, against `psql \copy` of the same rows as
// CSV, in one session. Run from the repository root (make bench-parquet):
//
//	go run ./bench/s3parquet -rows 3000000 -runs 3
//
// It writes, into a temporary folder, a Parquet file (8 columns: bigint id, text,
// decimal(12,2), double, boolean, UTC timestamp, date and a nullable text;
// snappy; row groups of 128Ki rows) and the same rows as CSV. It starts an
// in-process S3 fake (gofakes3, in memory, on 127.0.0.1) and uploads the Parquet
// file to it. Then, alternating, each run on a freshly created database:
//
//   - psql \copy of the CSV file into a pre-created table of the same types;
//   - the real sluice binary, `sluice run`, reading the file from the fake S3
//     through the AWS SDK (AWS_ENDPOINT_URL_S3) and appending into PostgreSQL,
//     with a cast step to the same types.
//
// Both are measured as subprocesses: wall time and peak RSS (getrusage
// maxrss). After every run the table must hold N rows, and a fingerprint of
// every column (sums, counts, min/max) must equal the baseline's, so the
// benchmark cannot report a load that did not happen. PostgreSQL must listen
// on 127.0.0.1 (make services).
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/parquet-go/parquet-go"

	"github.com/sluice-data/sluice/bench/harness"
	"github.com/sluice-data/sluice/internal/cli"
)

var (
	rows    = flag.Int("rows", 3_000_000, "rows in the file")
	runs    = flag.Int("runs", 3, "runs of each loader, alternating")
	pgAdmin = flag.String("postgres", "postgres://root@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL admin URL (a role that may create databases)")
	keep    = flag.Bool("keep", false, "keep the temporary folder (prints its path)")
	logs    = flag.Bool("logs", false, "print sluice's log lines of each run")
	nocast  = flag.Bool("nocast", true, "also run sluice with a spec without the cast step (the types from the Parquet schema)")
	quiet   = flag.Duration("quiet", 10*time.Minute, "before each measurement, wait up to this long for a second in which the machine's CPUs are at least 85% idle (the machine may be shared); 0: do not wait")
	cpuprof = flag.String("cpuprofile", "", "after the runs, run sluice once more in a process of this program (cli.Main) and write its CPU profile here")
)

const (
	dbName   = "sluice_s3parquet"
	groupLen = 128 * 1024
	columns  = "id bigint, customer text, amount numeric(12,2), price double precision, active boolean, created timestamptz, shipped date, note text"
	spec     = `version: 1
name: orders
source: {path: in/, pattern: "*.parquet"}
transform:
  - cast:
      id: bigint
      customer: text
      amount: decimal(12,2)
      price: double
      active: boolean
      created: timestamptz
      shipped: date
      note: text
target: {table: orders, mode: append}
`
	// fingerprint sums or bounds every column, so that two tables that agree
	// hold (with overwhelming likelihood) the same values.
	fingerprint = `SELECT count(*), sum(id), md5(string_agg(DISTINCT customer, ',' ORDER BY customer)), sum(amount),
	sum(price)::numeric(30,4), count(*) FILTER (WHERE active), sum(extract(epoch FROM created))::numeric(30,6),
	min(created), max(created), sum(shipped - DATE '2000-01-01'), count(note), sum(length(note)) FROM `
)

// row is one Parquet row.
type row struct {
	ID       int64   `parquet:"id"`
	Customer string  `parquet:"customer"`
	Amount   int64   `parquet:"amount,decimal(2:12)"`
	Price    float64 `parquet:"price"`
	Active   bool    `parquet:"active"`
	Created  int64   `parquet:"created,timestamp(microsecond:utc)"`
	Shipped  int32   `parquet:"shipped,date"`
	Note     *string `parquet:"note,optional"`
}

var (
	customers = []string{"Doe, Jane", `O'Brien "Bob"`, "Müller", "Smith, John", "Rossi", "García", "Nguyễn Văn An", "Zhang Wei"}
	notes     = []string{"gift wrap", "call before, please", "fragile", "leave at the door", `"urgent"`}
	epoch     = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
)

func makeRow(i int) row {
	r := row{
		ID:       int64(i),
		Customer: customers[i%len(customers)],
		Amount:   int64((i*7919)%10_000_000) - 100_000, // -1,000.00 .. 98,999.99
		Price:    float64(i%100_000)/64 + 0.5,
		Active:   i%3 != 0,
		Created:  epoch.UnixMicro() + int64(i)*7_777_777 + int64(i%1000),
		Shipped:  int32(epoch.Unix()/86400) + int32(i%2500),
	}
	if i%4 != 0 {
		r.Note = &notes[i%len(notes)]
	}
	return r
}

func main() {
	if len(os.Args) > 2 {
		switch os.Args[1] {
		case rusageExec:
			os.Exit(trampoline(os.Args[2], os.Args[3:]))
		case profileExec:
			os.Exit(profileSluice(os.Args[2], os.Args[3:]))
		}
	}
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "s3parquet:", err)
		os.Exit(1)
	}
}

func run() error {
	tmp, err := os.MkdirTemp("", "sluice-s3parquet-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Println("folder:", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bin, err := harness.BuildSluice(tmp)
	if err != nil {
		return err
	}
	fmt.Printf("machine: %s\n", harness.Machine())

	start := time.Now()
	pqPath, csvPath := filepath.Join(tmp, "orders.parquet"), filepath.Join(tmp, "orders.csv")
	if err := writeFiles(pqPath, csvPath, *rows); err != nil {
		return err
	}
	pqInfo, _ := os.Stat(pqPath)
	csvInfo, _ := os.Stat(csvPath)
	fmt.Printf("files: %d rows; parquet %.1f MB (snappy, row groups of %d); csv %.1f MB; written in %.1fs\n",
		*rows, mb(pqInfo.Size()), groupLen, mb(csvInfo.Size()), time.Since(start).Seconds())

	// The S3 fake, in this process.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: gofakes3.New(s3mem.New()).Server()}
	go srv.Serve(ln)
	defer srv.Close()
	endpoint := "http://" + ln.Addr().String()
	if err := upload(endpoint, pqPath); err != nil {
		return err
	}

	proj := filepath.Join(tmp, "project")
	if err := os.MkdirAll(filepath.Join(proj, "pipelines"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(proj, "pipelines", "orders.yaml"), []byte(spec), 0o644); err != nil {
		return err
	}
	plain := spec[:strings.Index(spec, "transform:")] + spec[strings.Index(spec, "target:"):]
	plain = strings.Replace(plain, "name: orders", "name: orders_nocast", 1)
	if err := os.WriteFile(filepath.Join(proj, "pipelines", "orders_nocast.yaml"), []byte(plain), 0o644); err != nil {
		return err
	}
	dbURL := strings.Replace(*pgAdmin, "/postgres?", "/"+dbName+"?", 1)

	psql := func() *exec.Cmd {
		return exec.Command("psql", dbURL, "-q", "-v", "ON_ERROR_STOP=1", "-c", `\copy orders FROM '`+csvPath+`' CSV HEADER`)
	}
	sluice := func(pipeline ...string) *exec.Cmd {
		if len(pipeline) == 0 {
			pipeline = []string{"orders"}
		}
		cmd := exec.Command(bin, "run", "-p", proj, pipeline[0])
		cmd.Env = append(os.Environ(),
			"SLUICE_DATABASE_URL="+dbURL,
			"SLUICE_STORAGE_URL=s3://bench/data",
			"AWS_ENDPOINT_URL_S3="+endpoint,
			"AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=test",
			"AWS_SECRET_ACCESS_KEY=test",
		)
		return cmd
	}

	var want string
	var copyT, sluiceT, copyCPU, sluiceCPU, nocastT, nocastCPU []float64
	var copyRSS, sluiceRSS, nocastRSS []int64
	for i := 1; i <= *runs; i++ {
		// Baseline: an empty table of the same types, then \copy.
		if err := recreate(`CREATE TABLE orders (` + columns + `)`); err != nil {
			return err
		}
		r, err := measure(psql())
		if err != nil {
			return err
		}
		fp, err := check(dbURL, "orders")
		if err != nil {
			return fmt.Errorf("psql run %d: %w", i, err)
		}
		if want == "" {
			want = fp
		}
		copyT, copyRSS, copyCPU = append(copyT, r.wall.Seconds()), append(copyRSS, r.rss), append(copyCPU, r.cpu.Seconds())
		fmt.Printf("run %d  psql \\copy (CSV)       %7.2fs  %4d MB RSS  %6.2fs CPU\n", i, r.wall.Seconds(), r.rss, r.cpu.Seconds())

		// Sluice: a fresh database; sluice creates the table.
		if err := recreate(""); err != nil {
			return err
		}
		r, err = measure(sluice())
		if err != nil {
			return err
		}
		if fp, err = check(dbURL, "orders"); err != nil {
			return fmt.Errorf("sluice run %d: %w", i, err)
		}
		if fp != want {
			return fmt.Errorf("sluice run %d: the table differs from psql's:\n  psql:   %s\n  sluice: %s", i, want, fp)
		}
		sluiceT, sluiceRSS, sluiceCPU = append(sluiceT, r.wall.Seconds()), append(sluiceRSS, r.rss), append(sluiceCPU, r.cpu.Seconds())
		fmt.Printf("run %d  sluice run (S3 parquet) %7.2fs  %4d MB RSS  %6.2fs CPU\n", i, r.wall.Seconds(), r.rss, r.cpu.Seconds())
		if *logs || i == 1 {
			fmt.Print(indent(r.stderr))
		}

		if !*nocast {
			continue
		}
		if err := recreate(""); err != nil {
			return err
		}
		if r, err = measure(sluice("orders_nocast")); err != nil {
			return err
		}
		if fp, err = check(dbURL, "orders"); err != nil {
			return fmt.Errorf("sluice run (no cast) %d: %w", i, err)
		}
		if fp != want {
			return fmt.Errorf("sluice run (no cast) %d: the table differs from psql's:\n  psql:   %s\n  sluice: %s", i, want, fp)
		}
		nocastT, nocastRSS, nocastCPU = append(nocastT, r.wall.Seconds()), append(nocastRSS, r.rss), append(nocastCPU, r.cpu.Seconds())
		fmt.Printf("run %d  sluice run (no cast)    %7.2fs  %4d MB RSS  %6.2fs CPU\n", i, r.wall.Seconds(), r.rss, r.cpu.Seconds())
	}
	types, err := columnTypes(dbURL)
	if err != nil {
		return err
	}
	fmt.Println("table created by sluice:", types)
	fmt.Println("fingerprint (equal for both):", want)

	mc, ms := median(copyT), median(sluiceT)
	fmt.Printf("\n| loader | rows | seconds (median of %d) | rows/s | client CPU s (median) | peak RSS MB (max) | time vs `\\copy` |\n|---|---:|---:|---:|---:|---:|---:|\n", *runs)
	fmt.Printf("| psql `\\copy` (CSV, %.0f MB) | %d | %.2f | %.0f | %.2f | %d | 1.00× |\n", mb(csvInfo.Size()), *rows, mc, float64(*rows)/mc, median(copyCPU), slices.Max(copyRSS))
	fmt.Printf("| sluice run (Parquet %.0f MB from S3) | %d | %.2f | %.0f | %.2f | %d | %.2f× |\n", mb(pqInfo.Size()), *rows, ms, float64(*rows)/ms, median(sluiceCPU), slices.Max(sluiceRSS), ms/mc)
	if len(nocastT) > 0 {
		mn := median(nocastT)
		fmt.Printf("| sluice run, no cast step (types from the Parquet schema) | %d | %.2f | %.0f | %.2f | %d | %.2f× |\n", *rows, mn, float64(*rows)/mn, median(nocastCPU), slices.Max(nocastRSS), mn/mc)
	}
	fmt.Printf("\nall runs: psql %.2f s; sluice %.2f s; sluice without the cast step %.2f s\n", copyT, sluiceT, nocastT)

	if *cpuprof != "" {
		if err := recreate(""); err != nil {
			return err
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		cmd := sluice()
		prof := exec.Command(self, append([]string{profileExec, *cpuprof}, cmd.Args[1:]...)...)
		prof.Env = cmd.Env
		r, err := measure(prof)
		if err != nil {
			return err
		}
		if _, err := check(dbURL, "orders"); err != nil {
			return fmt.Errorf("profiled run: %w", err)
		}
		fmt.Printf("\nprofiled run (sluice's CLI in this program, under the CPU profiler): %.2fs, %.2fs CPU; profile in %s\n", r.wall.Seconds(), r.cpu.Seconds(), *cpuprof)
		top, _ := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=45", self, *cpuprof).CombinedOutput()
		fmt.Print(indent(string(top)))
	}
	return nil
}

func mb(n int64) float64 { return float64(n) / 1e6 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l != "" {
			b.WriteString("        " + l + "\n")
		}
	}
	return b.String()
}

type result struct {
	wall   time.Duration
	rss    int64         // MB
	cpu    time.Duration // user + system
	stderr string
}

// measure runs cmd through a fresh, small copy of this program (the
// trampoline), which execs it and reports its rusage. Starting it straight from
// this process would report this process's RSS as the child's peak: Linux
// carries the parent's high-water mark into a vfork'd child's maxrss across
// exec, and this process holds the S3 fake's copy of the file.
func measure(cmd *exec.Cmd) (result, error) {
	waitQuiet()
	self, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	usage, err := os.CreateTemp("", "rusage-")
	if err != nil {
		return result{}, err
	}
	usage.Close()
	defer os.Remove(usage.Name())
	t := exec.Command(self, append([]string{rusageExec, usage.Name()}, cmd.Args...)...)
	t.Env = cmd.Env
	var stdout, stderr bytes.Buffer
	t.Stdout, t.Stderr = &stdout, &stderr
	err = t.Run()
	if err != nil {
		return result{}, fmt.Errorf("%s: %w\n%s%s", strings.Join(cmd.Args, " "), err, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(usage.Name())
	if err != nil {
		return result{}, err
	}
	var wallNS, maxrss, userUS, sysUS int64
	if _, err := fmt.Sscan(string(b), &wallNS, &maxrss, &userUS, &sysUS); err != nil {
		return result{}, fmt.Errorf("trampoline's report %q: %w", b, err)
	}
	return result{time.Duration(wallNS), maxrss / 1024, time.Duration(userUS+sysUS) * time.Microsecond, stdout.String() + stderr.String()}, nil
}

// waitQuiet waits until the CPUs were at least 85% idle for a second, for at
// most -quiet.
func waitQuiet() {
	if *quiet <= 0 {
		return
	}
	stat := func() (idle, total int64) {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			return 0, 0
		}
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			total += n
			if i == 3 || i == 4 { // idle, iowait
				idle += n
			}
		}
		return idle, total
	}
	deadline, said := time.Now().Add(*quiet), false
	for time.Now().Before(deadline) {
		i0, t0 := stat()
		time.Sleep(time.Second)
		i1, t1 := stat()
		if t1 == t0 || float64(i1-i0)/float64(t1-t0) >= 0.85 {
			return
		}
		if !said {
			fmt.Printf("        (waiting for a quiet machine: %.0f%% idle)\n", 100*float64(i1-i0)/float64(t1-t0))
			said = true
		}
	}
}

const (
	rusageExec  = "__rusage-exec"
	profileExec = "__profile-sluice"
)

// trampoline runs args[0] with args[1:], the same stdio and environment, and
// writes its wall time (ns), peak RSS (KiB) and user and system CPU time (µs)
// to the file out.
func trampoline(out string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	os.WriteFile(out, []byte(fmt.Sprintf("%d %d %d %d\n", wall.Nanoseconds(), ru.Maxrss,
		ru.Utime.Sec*1e6+ru.Utime.Usec, ru.Stime.Sec*1e6+ru.Stime.Usec)), 0o644)
	return cmd.ProcessState.ExitCode()
}

// profileSluice runs sluice's CLI in this process under the CPU profiler.
func profileSluice(out string, args []string) int {
	f, err := os.Create(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := cli.Main(context.Background(), args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	return code
}

// recreate drops and creates the database, then runs ddl in it.
func recreate(ddl string) error {
	db, err := sql.Open("pgx", *pgAdmin)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := db.Exec("CREATE DATABASE " + dbName); err != nil {
		return err
	}
	if ddl == "" {
		return nil
	}
	db2, err := sql.Open("pgx", strings.Replace(*pgAdmin, "/postgres?", "/"+dbName+"?", 1))
	if err != nil {
		return err
	}
	defer db2.Close()
	_, err = db2.Exec(ddl)
	return err
}

// check verifies the row count and returns the table's fingerprint.
func check(dbURL, table string) (string, error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	vals := make([]any, 12)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := db.QueryRow(fingerprint + table).Scan(ptrs...); err != nil {
		return "", err
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		parts[i] = fmt.Sprint(v)
	}
	if n, _ := strconv.Atoi(parts[0]); n != *rows {
		return "", fmt.Errorf("%s holds %s rows, want %d", table, parts[0], *rows)
	}
	return strings.Join(parts, " "), nil
}

func columnTypes(dbURL string) (string, error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	rs, err := db.Query(`SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema.columns c
		JOIN pg_attribute a ON a.attrelid = 'orders'::regclass AND a.attname = c.column_name
		WHERE c.table_name = 'orders' ORDER BY c.ordinal_position`)
	if err != nil {
		return "", err
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var n, t string
		if err := rs.Scan(&n, &t); err != nil {
			return "", err
		}
		out = append(out, n+" "+t)
	}
	return strings.Join(out, ", "), rs.Err()
}

// writeFiles writes the n rows as Parquet and as CSV.
func writeFiles(pqPath, csvPath string, n int) error {
	pf, err := os.Create(pqPath)
	if err != nil {
		return err
	}
	defer pf.Close()
	pb := bufio.NewWriterSize(pf, 1<<20)
	w := parquet.NewGenericWriter[row](pb, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(groupLen))

	cf, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	defer cf.Close()
	cb := bufio.NewWriterSize(cf, 1<<20)
	cw := csv.NewWriter(cb)
	cw.Write([]string{"id", "customer", "amount", "price", "active", "created", "shipped", "note"})

	batch := make([]row, 0, 4096)
	rec := make([]string, 8)
	for i := 1; i <= n; i++ {
		r := makeRow(i)
		batch = append(batch, r)
		rec[0] = strconv.FormatInt(r.ID, 10)
		rec[1] = r.Customer
		rec[2] = decimal(r.Amount)
		rec[3] = strconv.FormatFloat(r.Price, 'g', -1, 64)
		rec[4] = strconv.FormatBool(r.Active)
		rec[5] = time.UnixMicro(r.Created).UTC().Format("2006-01-02 15:04:05.000000Z07:00")
		rec[6] = time.Unix(int64(r.Shipped)*86400, 0).UTC().Format(time.DateOnly)
		rec[7] = ""
		if r.Note != nil {
			rec[7] = *r.Note
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		if len(batch) == cap(batch) || i%groupLen == 0 || i == n {
			if _, err := w.Write(batch); err != nil {
				return err
			}
			batch = batch[:0]
			if i%groupLen == 0 {
				if err := w.Flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := cb.Flush(); err != nil {
		return err
	}
	return pb.Flush()
}

// decimal formats cents as a decimal with two places.
func decimal(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// upload creates the bucket and puts the Parquet file at data/in/.
func upload(endpoint, path string) error {
	ctx := context.Background()
	c := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("data/in/orders.parquet"), Body: bytes.NewReader(b)})
	return err
}
