package sqlite_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
	"github.com/sluice-data/sluice/internal/sink/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Sink is the SQLite sink as the conformance suite sees it.
func Sink() sinktest.Sink {
	return sinktest.Sink{
		Open: func(t testing.TB) sink.DB {
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		FromSQL: sqlite.FromSQL,
		Quote:   func(id string) string { return `"` + id + `"` },
	}
}

func TestGolden(t *testing.T) {
	sinktest.RunGolden(t, Sink(), filepath.Join("..", "..", "..", "testdata", "golden"), *update)
}
