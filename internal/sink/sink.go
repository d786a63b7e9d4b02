// Package sink defines what Sluice asks of a database it loads into, and the
// schema rules every database shares. Each database is a subpackage (sqlite,
// postgres, mysql); sinktest is the conformance suite they all run.
//
// A run talks to a sink in one transaction: Begin takes the pipeline's lock,
// Stage receives the rows, Apply moves them into the target table in the run's
// mode, and Commit makes the rows, the file ledger, the dataset catalog and the run
// record visible together. Rollback (or a crash) leaves everything as it was.
package sink

import (
	"errors"
	"fmt"

	"github.com/sluice-data/sluice/internal/record"
)

// Mode says how staged rows are applied to the target table.
type Mode string

// The load modes of DESIGN §2.
const (
	Append  Mode = "append"
	Replace Mode = "replace"
	Merge   Mode = "merge"
)

// Table describes a target table.
type Table struct {
	Schema  string // "" means the database's default schema
	Name    string
	Columns []record.Column
	Key     []string // primary key columns; empty for none
}

// Column returns the column named name, or false.
func (t *Table) Column(name string) (record.Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return record.Column{}, false
}

// Plan is what Apply does with the staged rows.
type Plan struct {
	Target    Table  // the table as it must be after the run (columns, key)
	Existing  *Table // the table as it is; nil when it does not exist yet
	Changes   []Change
	Stage     Stage // the run's staged rows
	Mode      Mode
	DedupeKey []string // keep one row per key; empty: keep every row
	KeepFirst bool     // with DedupeKey: keep the first row in input order, else the last
}

// ChangeKind is the kind of a schema change.
type ChangeKind uint8

// The schema changes a run may apply.
const (
	CreateTable ChangeKind = iota + 1
	AddColumn
	WidenColumn
	RecreateTable // replace mode with a different schema: the new table replaces the old
)

// Change is one schema change to the target table.
type Change struct {
	Kind   ChangeKind
	Column record.Column // AddColumn, WidenColumn (the new type)
	From   record.Type   // WidenColumn: the old type
}

// Applied reports what Apply did.
type Applied struct {
	Inserted int64
	Updated  int64
	Loaded   int64    // rows now in the target that came from this run
	Deduped  int64    // staged rows dropped by deduplication
	RowCount int64    // rows in the target after the run
	DDL      []string // statements executed to change the schema
}

// ErrSchema marks a schema conflict that the run's schema_evolution forbids or
// that no safe widening resolves.
var ErrSchema = errors.New("schema conflict")

// ErrRestage is returned by a stage that writes straight into the target when
// the run needs something only a staging table can give (a column added or
// widened mid-run): the engine then runs again, staged.
var ErrRestage = errors.New("the run needs a staging table")

// ErrLocked marks a run that could not take its pipeline's lock in time.
var ErrLocked = errors.New("pipeline is locked by another run")

// TransientError marks a failure that a retry of the whole run may not meet again:
// a lost connection, a failover, a serialization failure or a deadlock. Runs are
// atomic, so the engine retries them; sinks wrap such errors with Transient.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// Transient wraps err as a TransientError (nil stays nil).
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &TransientError{Err: err}
}

// IsTransient reports whether err is, or wraps, a TransientError.
func IsTransient(err error) bool {
	var te *TransientError
	return errors.As(err, &te)
}

// Diff computes the changes that turn existing (nil when absent) into a table with
// the wanted columns. Columns missing from the input stay (they get NULLs). With
// strict evolution any change to an existing table is an error wrapping ErrSchema;
// otherwise new columns are added and types are widened where record.SafeWiden
// allows. In replace mode the table is recreated when its columns differ.
func Diff(existing *Table, want []record.Column, key []string, mode Mode, strict bool) ([]Change, error) {
	if existing == nil {
		return []Change{{Kind: CreateTable}}, nil
	}
	var changes []Change
	var errs []error
	for _, c := range want {
		old, ok := existing.Column(c.Name)
		switch {
		case !ok:
			changes = append(changes, Change{Kind: AddColumn, Column: c})
		case old.Type.Base() != c.Type.Base() && !fits(c.Type, old.Type):
			if !record.SafeWiden(old.Type, c.Type) {
				w := record.Widen(old.Type, c.Type)
				if !record.SafeWiden(old.Type, w) {
					errs = append(errs, fmt.Errorf("%w: column %q is %s in table %s but the data is %s, and %s cannot be widened safely to hold both; cast the column to %s in the spec, or replace the table",
						ErrSchema, c.Name, old.Type, existing.Name, c.Type, old.Type, old.Type))
					continue
				}
				c.Type = w
			}
			changes = append(changes, Change{Kind: WidenColumn, Column: c, From: old.Type})
		}
	}
	if mode == Replace && (len(changes) > 0 || len(want) != len(existing.Columns) || !sameKey(existing.Key, key)) {
		if strict {
			return nil, fmt.Errorf("%w: table %s has a different schema and schema_evolution is strict", ErrSchema, existing.Name)
		}
		return []Change{{Kind: RecreateTable}}, nil
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(key) > 0 && len(existing.Key) > 0 && !sameKey(existing.Key, key) {
		return nil, fmt.Errorf("%w: table %s has key (%v) but the spec says (%v); change the spec's key or replace the table", ErrSchema, existing.Name, existing.Key, key)
	}
	if strict && len(changes) > 0 {
		c := changes[0]
		what := fmt.Sprintf("a new column %q (%s)", c.Column.Name, c.Column.Type)
		if c.Kind == WidenColumn {
			what = fmt.Sprintf("column %q widened from %s to %s", c.Column.Name, c.From, c.Column.Type)
		}
		return nil, fmt.Errorf("%w: the data needs %s in table %s, and schema_evolution is strict; set schema_evolution: add_columns or fix the data", ErrSchema, what, existing.Name)
	}
	return changes, nil
}

// fits reports whether values of type data can be stored unchanged in a column
// of type col (an integer into a bigint column, a date into a timestamp column…).
func fits(data, col record.Type) bool {
	data, col = data.Base(), col.Base()
	return data == col || record.SafeWiden(data, col)
}

func sameKey(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Final returns the table that results from applying changes to existing with the
// wanted columns: existing columns in their order (widened), then new ones.
func Final(existing *Table, want Table, changes []Change) Table {
	if existing == nil {
		return want
	}
	for _, c := range changes {
		if c.Kind == RecreateTable {
			return want
		}
	}
	out := Table{Schema: existing.Schema, Name: existing.Name, Key: existing.Key}
	if len(out.Key) == 0 {
		out.Key = want.Key
	}
	widened := map[string]record.Type{}
	var added []record.Column
	for _, c := range changes {
		switch c.Kind {
		case WidenColumn:
			widened[c.Column.Name] = c.Column.Type
		case AddColumn:
			added = append(added, c.Column)
		}
	}
	for _, c := range existing.Columns {
		if t, ok := widened[c.Name]; ok {
			c.Type = t
		}
		out.Columns = append(out.Columns, c)
	}
	out.Columns = append(out.Columns, added...)
	return out
}
