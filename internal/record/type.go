// Package record defines the values that flow through Sluice: column types, the Go
// representation of each type's values, and the widening rules shared by type
// inference and schema evolution.
//
// A value is always one of: nil (SQL NULL), string (text), int64 (integer, bigint),
// float64 (double), Decimal (decimal), bool (boolean), time.Time (date, timestamp,
// timestamptz; always in UTC) or JSON (json). Readers may also produce the untyped
// source forms string and json.Number, which casting and inference turn into the
// typed forms above before rows reach a sink.
package record

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the family of a column type.
type Kind uint8

// The column type kinds of DESIGN §2. KindUnknown is the zero value and marks a
// column whose type has not been decided yet (it is inferred from the data).
const (
	KindUnknown Kind = iota
	KindBoolean
	KindInteger
	KindBigint
	KindDecimal
	KindDouble
	KindDate
	KindTimestamp
	KindTimestampTZ
	KindText
	KindJSON
)

var kindNames = [...]string{
	KindUnknown:     "unknown",
	KindBoolean:     "boolean",
	KindInteger:     "integer",
	KindBigint:      "bigint",
	KindDecimal:     "decimal",
	KindDouble:      "double",
	KindDate:        "date",
	KindTimestamp:   "timestamp",
	KindTimestampTZ: "timestamptz",
	KindText:        "text",
	KindJSON:        "json",
}

// String returns the kind's name as written in a spec.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Type is a column type: a kind plus the decimal precision and scale, and the
// strftime format used to parse text into a date or timestamp.
type Type struct {
	Kind      Kind
	Precision int    // decimal only: total digits, 1..38
	Scale     int    // decimal only: digits after the point, 0..Precision
	Format    string // date/timestamp/timestamptz only: strftime format; "" means ISO 8601
}

// Common types, ready to use.
var (
	Text        = Type{Kind: KindText}
	Bigint      = Type{Kind: KindBigint}
	Integer     = Type{Kind: KindInteger}
	Double      = Type{Kind: KindDouble}
	Boolean     = Type{Kind: KindBoolean}
	Date        = Type{Kind: KindDate}
	Timestamp   = Type{Kind: KindTimestamp}
	TimestampTZ = Type{Kind: KindTimestampTZ}
	JSONType    = Type{Kind: KindJSON}
)

// DefaultDecimal is the decimal type used when a spec writes `decimal` without
// precision and scale.
var DefaultDecimal = Type{Kind: KindDecimal, Precision: 38, Scale: 9}

// String renders the type in spec syntax, for example decimal(12,2) or
// timestamp('%Y-%m-%d').
func (t Type) String() string {
	switch t.Kind {
	case KindDecimal:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	case KindDate, KindTimestamp, KindTimestampTZ:
		if t.Format != "" {
			return fmt.Sprintf("%s('%s')", t.Kind, strings.ReplaceAll(t.Format, "'", "''"))
		}
	}
	return t.Kind.String()
}

// Base returns the type without its parse format: the type as stored.
func (t Type) Base() Type {
	t.Format = ""
	return t
}

// ParseType parses a type name as written in a spec's cast step or a catalog:
// text, bigint, integer (or int), double (or float), decimal(p,s), boolean (or
// bool), date[('fmt')], timestamp[('fmt')], timestamptz[('fmt')], json. The
// format, if any, is returned as written; timefmt validates it.
func ParseType(s string) (Type, error) {
	s = strings.TrimSpace(s)
	name, args := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return Type{}, fmt.Errorf("type %q: missing closing parenthesis", s)
		}
		name, args = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:len(s)-1])
	}
	var t Type
	switch strings.ToLower(name) {
	case "text", "string", "varchar":
		t.Kind = KindText
	case "bigint", "int64", "long":
		t.Kind = KindBigint
	case "integer", "int", "int32":
		t.Kind = KindInteger
	case "double", "float", "float64", "double precision":
		t.Kind = KindDouble
	case "decimal", "numeric":
		t = DefaultDecimal
	case "boolean", "bool":
		t.Kind = KindBoolean
	case "date":
		t.Kind = KindDate
	case "timestamp", "datetime":
		t.Kind = KindTimestamp
	case "timestamptz":
		t.Kind = KindTimestampTZ
	case "json", "jsonb":
		t.Kind = KindJSON
	default:
		return Type{}, fmt.Errorf("unknown type %q: use one of text, bigint, integer, double, decimal(p,s), boolean, date, timestamp, timestamptz, json", name)
	}
	if strings.Contains(s, "(") {
		switch t.Kind {
		case KindDecimal:
			p, sc, err := parseDecimalArgs(args)
			if err != nil {
				return Type{}, fmt.Errorf("type %q: %w", s, err)
			}
			t.Precision, t.Scale = p, sc
		case KindDate, KindTimestamp, KindTimestampTZ:
			f, err := parseQuoted(args)
			if err != nil {
				return Type{}, fmt.Errorf("type %q: %w", s, err)
			}
			t.Format = f
		default:
			return Type{}, fmt.Errorf("type %q: %s takes no arguments", s, t.Kind)
		}
	}
	return t, nil
}

func parseDecimalArgs(args string) (int, int, error) {
	ps := strings.Split(args, ",")
	if len(ps) > 2 {
		return 0, 0, fmt.Errorf("decimal takes (precision, scale)")
	}
	p, err := strconv.Atoi(strings.TrimSpace(ps[0]))
	if err != nil || p < 1 || p > 38 {
		return 0, 0, fmt.Errorf("decimal precision must be an integer from 1 to 38")
	}
	s := 0
	if len(ps) == 2 {
		s, err = strconv.Atoi(strings.TrimSpace(ps[1]))
		if err != nil || s < 0 || s > p {
			return 0, 0, fmt.Errorf("decimal scale must be an integer from 0 to the precision (%d)", p)
		}
	}
	return p, s, nil
}

func parseQuoted(args string) (string, error) {
	if len(args) < 2 {
		return "", fmt.Errorf("format must be quoted, for example ('%%Y-%%m-%%d')")
	}
	q := args[0]
	if (q != '\'' && q != '"') || args[len(args)-1] != q {
		return "", fmt.Errorf("format must be quoted, for example ('%%Y-%%m-%%d')")
	}
	inner := args[1 : len(args)-1]
	return strings.ReplaceAll(inner, string([]byte{q, q}), string(q)), nil
}

// Column is a named, typed column of a table or a record stream.
type Column struct {
	Name string
	Type Type
}

// Widen returns the narrowest type that holds every value of both a and b, and
// whether such a type exists short of text. It is the rule for inference ("widened
// on conflict, never narrowed"): integer→bigint→decimal→double, date→timestamp,
// anything else → text. KindUnknown widens to the other type.
func Widen(a, b Type) Type {
	a, b = a.Base(), b.Base()
	if a.Kind == KindUnknown {
		return b
	}
	if b.Kind == KindUnknown || a == b {
		return a
	}
	if a.Kind > b.Kind {
		a, b = b, a
	}
	switch {
	case isIntegral(a.Kind) && isIntegral(b.Kind):
		return Bigint
	case isIntegral(a.Kind) && b.Kind == KindDecimal:
		return widenDecimal(Type{Kind: KindDecimal, Precision: 19, Scale: 0}, b)
	case a.Kind == KindDecimal && b.Kind == KindDecimal:
		return widenDecimal(a, b)
	case isNumeric(a.Kind) && b.Kind == KindDouble:
		return Double
	case a.Kind == KindDate && b.Kind == KindTimestamp:
		return Timestamp
	}
	return Text
}

func widenDecimal(a, b Type) Type {
	intDigits := max(a.Precision-a.Scale, b.Precision-b.Scale)
	scale := max(a.Scale, b.Scale)
	p := intDigits + scale
	if p > 38 {
		p = 38
		scale = max(0, 38-intDigits)
	}
	return Type{Kind: KindDecimal, Precision: p, Scale: scale}
}

// SafeWiden reports whether a stored column of type from can be changed to type to
// without losing or reinterpreting any value: integer→bigint→decimal, integral or
// decimal→double only when from is integral, date→timestamp, anything→text.
func SafeWiden(from, to Type) bool {
	from, to = from.Base(), to.Base()
	if from == to || to.Kind == KindText {
		return true
	}
	switch {
	case isIntegral(from.Kind) && to.Kind == KindBigint:
		return true
	case isIntegral(from.Kind) && to.Kind == KindDecimal:
		return to.Precision-to.Scale >= 19 || (from.Kind == KindInteger && to.Precision-to.Scale >= 10)
	case from.Kind == KindDecimal && to.Kind == KindDecimal:
		return to.Scale >= from.Scale && to.Precision-to.Scale >= from.Precision-from.Scale
	case isIntegral(from.Kind) && to.Kind == KindDouble:
		return true
	case from.Kind == KindDate && to.Kind == KindTimestamp:
		return true
	}
	return false
}

func isIntegral(k Kind) bool { return k == KindInteger || k == KindBigint }
func isNumeric(k Kind) bool  { return isIntegral(k) || k == KindDecimal || k == KindDouble }
