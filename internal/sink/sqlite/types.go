package sqlite

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-data/sluice/internal/record"
)

// declType is the declared SQLite type of a column. It is chosen for its type
// affinity: integers INTEGER, doubles REAL, decimals and booleans NUMERIC, and
// dates/timestamps stored as ISO text that sorts in time order.
func declType(t record.Type) string {
	switch t.Kind {
	case record.KindBigint:
		return "BIGINT"
	case record.KindInteger:
		return "INTEGER"
	case record.KindDouble:
		return "DOUBLE"
	case record.KindDecimal:
		return fmt.Sprintf("NUMERIC(%d,%d)", t.Precision, t.Scale)
	case record.KindBoolean:
		return "BOOLEAN"
	case record.KindDate:
		return "DATE"
	case record.KindTimestamp:
		return "TIMESTAMP"
	case record.KindTimestampTZ:
		return "TIMESTAMPTZ"
	case record.KindJSON:
		return "JSON"
	}
	return "TEXT"
}

var numericDecl = regexp.MustCompile(`^(?:NUMERIC|DECIMAL)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$`)

// typeOfDecl maps a declared type back to a Sluice type, for tables Sluice did not
// create.
func typeOfDecl(decl string) record.Type {
	d := strings.ToUpper(strings.TrimSpace(decl))
	if m := numericDecl.FindStringSubmatch(d); m != nil {
		p, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		return record.Type{Kind: record.KindDecimal, Precision: p, Scale: s}
	}
	switch d {
	case "BIGINT", "INT8":
		return record.Bigint
	case "INTEGER", "INT":
		return record.Integer
	case "DOUBLE", "REAL", "FLOAT", "DOUBLE PRECISION":
		return record.Double
	case "NUMERIC", "DECIMAL":
		return record.DefaultDecimal
	case "BOOLEAN", "BOOL":
		return record.Boolean
	case "DATE":
		return record.Date
	case "TIMESTAMP", "DATETIME":
		return record.Timestamp
	case "TIMESTAMPTZ":
		return record.TimestampTZ
	case "JSON", "JSONB":
		return record.JSONType
	}
	return record.Text
}

// Time layouts of stored dates and timestamps.
const (
	dateLayout        = "2006-01-02"
	timestampLayout   = "2006-01-02 15:04:05.999999"
	timestampTZLayout = "2006-01-02 15:04:05.999999Z07:00"
)

// ToSQL converts a value of type t to what SQLite stores.
func ToSQL(v any, t record.Type) any {
	switch x := v.(type) {
	case nil:
		return nil
	case record.Decimal:
		return string(x)
	case record.JSON:
		return string(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		x = x.UTC()
		switch t.Kind {
		case record.KindDate:
			return x.Format(dateLayout)
		case record.KindTimestampTZ:
			return x.Format(timestampTZLayout)
		}
		return x.Format(timestampLayout)
	}
	return v
}

// FromSQL converts a value read from SQLite back to the Go form of type t.
func FromSQL(v any, t record.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t.Kind {
	case record.KindDecimal:
		switch x := v.(type) {
		case int64:
			return record.Convert(strconv.FormatInt(x, 10), t)
		case float64:
			return record.Convert(strconv.FormatFloat(x, 'f', t.Scale, 64), t)
		}
	case record.KindBoolean:
		if x, ok := v.(int64); ok {
			return x != 0, nil
		}
	case record.KindDate, record.KindTimestamp, record.KindTimestampTZ:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			for _, l := range []string{timestampTZLayout, timestampLayout, dateLayout, time.RFC3339Nano} {
				if tm, err := time.Parse(l, x); err == nil {
					return tm.UTC(), nil
				}
			}
		}
	case record.KindJSON:
		switch x := v.(type) {
		case string:
			return record.JSON(x), nil
		case []byte:
			return record.JSON(x), nil
		case int64:
			return record.JSON(strconv.FormatInt(x, 10)), nil
		case float64:
			return record.JSON(strconv.FormatFloat(x, 'g', -1, 64)), nil
		}
	case record.KindText:
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	}
	return record.Convert(v, t.Base())
}
