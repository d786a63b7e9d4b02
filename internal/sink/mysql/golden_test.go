package mysql_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/mysql"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
)

// Sink is the MySQL sink as the conformance suite sees it: each Open gets a
// database of its own.
func Sink() sinktest.Sink {
	return sinktest.Sink{
		Open: func(t testing.TB) sink.DB {
			db, err := mysql.Open(context.Background(), sinktest.MySQLDatabase(t, "mysql", mysql.DSN))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		FromSQL: mysql.FromSQL,
		Quote:   func(id string) string { return `"` + id + `"` },
	}
}

// TestGolden runs the conformance suite: the output must equal SQLite's.
func TestGolden(t *testing.T) {
	sinktest.RunGolden(t, Sink(), filepath.Join("..", "..", "..", "testdata", "golden"), false)
}
