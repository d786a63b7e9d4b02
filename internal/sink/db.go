package sink

import (
	"context"
	"time"

	"github.com/sluice-data/sluice/internal/catalog"
	"github.com/sluice-data/sluice/internal/record"
)

// DB is a database Sluice loads into. sqlite.DB, postgres.DB and mysql.DB
// implement it; the engine and the API consume it.
type DB interface {
	// Begin starts run runID's transaction after taking the pipeline's lock,
	// waiting at most lockWait; past it the error wraps ErrLocked and, where the
	// database can tell, names the run that holds the lock.
	Begin(ctx context.Context, pipeline, runID string, lockWait time.Duration) (Tx, error)
	// Catalog gives access to Sluice's own tables outside a run.
	Catalog() *catalog.Catalog
	// Close releases the database.
	Close() error
}

// Tx is one run's transaction.
type Tx interface {
	// Table describes the target table, or returns nil when it does not exist.
	Table(ctx context.Context, schema, name string) (*Table, error)
	// Ledger returns the ledger entries of the pipeline's files, by URL.
	Ledger(ctx context.Context, pipeline string) (map[string]catalog.File, error)
	// Stage creates the run's staging area with the given columns. With
	// opts.Direct a sink may write the rows straight into the target table
	// (append without deduplication), applying the schema changes as it goes.
	Stage(ctx context.Context, cols []record.Column, opts StageOptions) (Stage, error)
	// DDL renders the statements that Apply will run for plan's changes.
	DDL(plan *Plan) []string
	// Apply changes the target's schema and moves the staged rows into it.
	Apply(ctx context.Context, plan *Plan) (Applied, error)
	// Record writes the ledger entries, the dataset catalog entry and the run.
	Record(ctx context.Context, files []catalog.File, ds *catalog.Dataset, run *catalog.Run) error
	// Commit commits the run. After Commit or Rollback the Tx is unusable.
	Commit(ctx context.Context) error
	// Rollback abandons the run. It is safe to call after Commit.
	Rollback(ctx context.Context) error
}

// Stage receives a run's rows before they are applied.
type Stage interface {
	// AddColumn adds a column (NULL in the rows already staged).
	AddColumn(ctx context.Context, col record.Column) error
	// WidenColumn changes a column's type to a wider one.
	WidenColumn(ctx context.Context, col record.Column) error
	// Write stages rows. Each row is aligned with the staged columns (in the
	// order they were created and added) and holds values of the columns'
	// types. Write does not retain rows.
	Write(ctx context.Context, rows [][]any) error
}

// StageOptions tell a sink where the staged rows will go, so that it can skip
// the staging table when nothing needs it: an append without deduplication.
type StageOptions struct {
	Direct   bool   // the rows may go straight into the target
	Target   Table  // schema, name and key of the target
	Existing *Table // the target as it was when the run began; nil if absent
	Strict   bool   // schema_evolution: strict
}

// DDLCommitter is implemented by a Tx whose schema changes commit on their own
// (MySQL's DDL does): a dry run then reports the DDL without applying anything.
type DDLCommitter interface {
	DDLCommits() bool
}
