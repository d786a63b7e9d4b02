package mysql_test

import (
	"strings"
	"testing"

	driver "github.com/go-sql-driver/mysql"

	"github.com/sluice-data/sluice/internal/sink/mysql"
)

func TestDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, url string
		check     func(t *testing.T, c *driver.Config)
	}{
		{"defaults", "mysql://root@db.example:3306/shop", func(t *testing.T, c *driver.Config) {
			if c.User != "root" || c.Addr != "db.example:3306" || c.DBName != "shop" || !c.ParseTime || c.Loc.String() != "UTC" ||
				c.AllowAllFiles || c.MultiStatements || c.InterpolateParams || c.Collation != "utf8mb4_bin" {
				t.Errorf("config: %+v", c)
			}
			if !strings.Contains(c.Params["sql_mode"], "STRICT_ALL_TABLES") || !strings.Contains(c.Params["sql_mode"], "ANSI_QUOTES") {
				t.Errorf("sql_mode: %q", c.Params["sql_mode"])
			}
		}},
		{"default port and password", "mysql://u:p%40ss%3Aw@db.example/shop", func(t *testing.T, c *driver.Config) {
			if c.Addr != "db.example:3306" || c.Passwd != "p@ss:w" {
				t.Errorf("addr %q password %q", c.Addr, c.Passwd)
			}
		}},
		{"tls and timeouts", "mysql://u@h:3307/d?tls=skip-verify&statement_timeout=1m30s&read_timeout=5s&write_timeout=6s&connect_timeout=7s", func(t *testing.T, c *driver.Config) {
			if c.TLSConfig != "skip-verify" || c.Params["max_statement_time"] != "90" || c.ReadTimeout.Seconds() != 5 || c.WriteTimeout.Seconds() != 6 || c.Timeout.Seconds() != 7 {
				t.Errorf("config: %+v", c)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn, err := mysql.DSN(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			c, err := driver.ParseDSN(dsn)
			if err != nil {
				t.Fatalf("the driver cannot parse %q: %v", dsn, err)
			}
			tc.check(t, c)
		})
	}
	for _, bad := range []string{
		"postgres://u@h/d",
		"mysql://u@h",
		"mysql://u@h/d?tls=maybe",
		"mysql://u@h/d?statement_timeout=30",
		"mysql://u@h/d?sslmode=require",
		"mysql://u:secret@h/d/e",
	} {
		if _, err := mysql.DSN(bad); err == nil {
			t.Errorf("%s: no error", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", bad, err)
		}
	}
}
