package postgres

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sluice-data/sluice/internal/record"
)

// pgType is the PostgreSQL type of a column.
func pgType(t record.Type) string {
	switch t.Kind {
	case record.KindBigint:
		return "bigint"
	case record.KindInteger:
		return "integer"
	case record.KindDouble:
		return "double precision"
	case record.KindDecimal:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case record.KindBoolean:
		return "boolean"
	case record.KindDate:
		return "date"
	case record.KindTimestamp:
		return "timestamp"
	case record.KindTimestampTZ:
		return "timestamptz"
	case record.KindJSON:
		return "jsonb"
	}
	return "text"
}

var numericRe = regexp.MustCompile(`^numeric\((\d+),(\d+)\)$`)

// typeOfPG maps format_type() output back to a Sluice type.
func typeOfPG(s string) record.Type {
	if m := numericRe.FindStringSubmatch(s); m != nil {
		p, _ := strconv.Atoi(m[1])
		sc, _ := strconv.Atoi(m[2])
		return record.Type{Kind: record.KindDecimal, Precision: p, Scale: sc}
	}
	switch {
	case s == "bigint":
		return record.Bigint
	case s == "integer", s == "smallint":
		return record.Integer
	case s == "double precision", s == "real":
		return record.Double
	case s == "numeric":
		return record.DefaultDecimal
	case s == "boolean":
		return record.Boolean
	case s == "date":
		return record.Date
	case strings.HasPrefix(s, "timestamp") && strings.HasSuffix(s, "with time zone"):
		return record.TimestampTZ
	case strings.HasPrefix(s, "timestamp"):
		return record.Timestamp
	case s == "jsonb", s == "json":
		return record.JSONType
	}
	return record.Text
}

// toPG converts a value to what pgx's binary COPY encodes for the column type.
func toPG(v any) (any, error) {
	switch x := v.(type) {
	case record.Decimal:
		var n pgtype.Numeric
		if err := n.Scan(string(x)); err != nil {
			return nil, fmt.Errorf("decimal %q: %w", x, err)
		}
		return n, nil
	case record.JSON:
		return json.RawMessage(x), nil
	case time.Time:
		return x.UTC(), nil
	}
	return v, nil
}

// FromSQL converts a value scanned through database/sql back to the Go form of
// type t.
func FromSQL(v any, t record.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t.Kind {
	case record.KindJSON:
		switch x := v.(type) {
		case string:
			return record.JSON(x), nil
		case []byte:
			return record.JSON(x), nil
		}
	case record.KindDate, record.KindTimestamp, record.KindTimestampTZ:
		if x, ok := v.(time.Time); ok {
			return x.UTC(), nil
		}
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	return record.Convert(v, t.Base())
}
