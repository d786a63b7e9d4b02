package postgres_test

import (
	"context"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/sluice-data/sluice/internal/sink"
	"github.com/sluice-data/sluice/internal/sink/postgres"
	"github.com/sluice-data/sluice/internal/sink/sinktest"
)

// Sink is the PostgreSQL sink as the conformance suite sees it: each Open gets
// a database of its own.
func Sink() sinktest.Sink {
	return sinktest.Sink{
		Open: func(t testing.TB) sink.DB {
			db, err := postgres.Open(context.Background(), sinktest.PostgresDatabase(t, "pgx"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		FromSQL: postgres.FromSQL,
		Quote:   func(id string) string { return `"` + id + `"` },
	}
}

// TestGolden runs the conformance suite: the output must equal SQLite's.
func TestGolden(t *testing.T) {
	sinktest.RunGolden(t, Sink(), filepath.Join("..", "..", "..", "testdata", "golden"), false)
}
