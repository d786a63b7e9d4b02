package record

import (
	"encoding/json"
	"time"
)

// Decimal is an exact decimal number in canonical text form: an optional minus
// sign, at least one digit, and, when the column's scale is positive, a point
// followed by exactly scale digits ("-12.30", "0.00", "42"). Keeping decimals as
// text keeps them exact on every database and in JSON output.
type Decimal string

// JSON is a JSON document (object, array or scalar), stored compactly.
type JSON []byte

// MarshalJSON implements json.Marshaler so that a JSON value is embedded, not
// base64-encoded.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// MarshalJSON renders a decimal as a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d), nil }

// TypeOf returns the type a typed value belongs to, or KindUnknown for nil and
// untyped source values (string is text; json.Number is unknown).
func TypeOf(v any) Type {
	switch v.(type) {
	case string:
		return Text
	case int64:
		return Bigint
	case float64:
		return Double
	case Decimal:
		return DefaultDecimal
	case bool:
		return Boolean
	case time.Time:
		return Timestamp
	case JSON:
		return JSONType
	case json.Number:
		return Type{}
	}
	return Type{}
}
