package mysql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-data/sluice/internal/record"
)

// myType is the MySQL type of a column. A text key column is VARCHAR(255),
// because MySQL cannot index a TEXT column whole. timestamptz is DATETIME(6) in
// UTC: MySQL has no type that keeps a zone.
func myType(t record.Type, key bool) string {
	switch t.Kind {
	case record.KindBigint:
		return "BIGINT"
	case record.KindInteger:
		return "INT"
	case record.KindDouble:
		return "DOUBLE"
	case record.KindDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	case record.KindBoolean:
		return "BOOLEAN"
	case record.KindDate:
		return "DATE"
	case record.KindTimestamp, record.KindTimestampTZ:
		return "DATETIME(6)"
	case record.KindJSON:
		return "JSON"
	}
	if key {
		return "VARCHAR(255)"
	}
	return "LONGTEXT"
}

// castType is what a staged (text) value is CAST to when it is applied.
func castType(t record.Type) string {
	switch t.Kind {
	case record.KindBigint, record.KindInteger, record.KindBoolean:
		return "SIGNED"
	case record.KindDouble:
		return "DOUBLE"
	case record.KindDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	case record.KindDate:
		return "DATE"
	case record.KindTimestamp, record.KindTimestampTZ:
		return "DATETIME(6)"
	}
	return ""
}

var decimalRe = regexp.MustCompile(`^decimal\((\d+),(\d+)\)`)

// typeOfMySQL maps information_schema COLUMN_TYPE to a Sluice type.
func typeOfMySQL(s string) record.Type {
	s = strings.ToLower(s)
	if m := decimalRe.FindStringSubmatch(s); m != nil {
		p, _ := strconv.Atoi(m[1])
		sc, _ := strconv.Atoi(m[2])
		return record.Type{Kind: record.KindDecimal, Precision: p, Scale: sc}
	}
	unsigned := strings.Contains(s, "unsigned")
	switch {
	case strings.HasPrefix(s, "bigint") && unsigned:
		return record.Type{Kind: record.KindDecimal, Precision: 20, Scale: 0}
	case strings.HasPrefix(s, "int") && unsigned:
		return record.Bigint
	case strings.HasPrefix(s, "tinyint(1)"):
		return record.Boolean
	case strings.HasPrefix(s, "bigint"):
		return record.Bigint
	case strings.HasPrefix(s, "int"), strings.HasPrefix(s, "smallint"), strings.HasPrefix(s, "mediumint"), strings.HasPrefix(s, "tinyint"):
		return record.Integer
	case strings.HasPrefix(s, "double"), strings.HasPrefix(s, "float"):
		return record.Double
	case s == "date":
		return record.Date
	case strings.HasPrefix(s, "datetime"), strings.HasPrefix(s, "timestamp"):
		return record.Timestamp
	case s == "json":
		return record.JSONType
	}
	return record.Text
}

// appendText appends a value's staging text, escaped for LOAD DATA with
// FIELDS TERMINATED BY '\t' ESCAPED BY '\\': NULL is \N.
func appendText(b []byte, v any, t record.Type) []byte {
	var s string
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...)
	case string:
		s = x
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case record.Decimal:
		return append(b, x...)
	case bool:
		if x {
			return append(b, '1')
		}
		return append(b, '0')
	case time.Time:
		if t.Kind == record.KindDate {
			return x.UTC().AppendFormat(b, "2006-01-02")
		}
		return x.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999")
	case record.JSON:
		s = string(x)
	default:
		s = record.String(v)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case 0:
			b = append(b, '\\', '0')
		default:
			b = append(b, c)
		}
	}
	return b
}

// FromSQL converts a value scanned through database/sql back to the Go form of
// type t.
func FromSQL(v any, t record.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch t.Kind {
	case record.KindJSON:
		if s, ok := v.(string); ok {
			return record.JSON(s), nil
		}
	case record.KindDate, record.KindTimestamp, record.KindTimestampTZ:
		if x, ok := v.(time.Time); ok {
			return x.UTC(), nil
		}
		if s, ok := v.(string); ok {
			for _, l := range []string{"2006-01-02 15:04:05.999999", "2006-01-02"} {
				if tm, err := time.Parse(l, s); err == nil {
					return tm.UTC(), nil
				}
			}
		}
	}
	return record.Convert(v, t.Base())
}
