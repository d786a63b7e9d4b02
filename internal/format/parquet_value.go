package format

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	pqformat "github.com/parquet-go/parquet-go/format"

	"github.com/sluice-data/sluice/internal/record"
)

// leafKind is how a Parquet leaf column's values become record values.
type leafKind uint8

const (
	leafBinary    leafKind = iota // no logical type: base64 text
	leafBool                      // bool
	leafInt                       // signed INT32/INT64: json.Number
	leafUint                      // unsigned INT32/INT64: json.Number (record.Decimal above int64)
	leafFloat                     // FLOAT, DOUBLE: json.Number, always with a point or exponent
	leafFloat16                   // FLOAT16 (FIXED[2])
	leafDecimal                   // record.Decimal with the column's scale
	leafDate                      // "2006-01-02"
	leafTime                      // "15:04:05[.fraction]"
	leafTimestamp                 // RFC 3339, with Z when adjusted to UTC
	leafInt96                     // legacy INT96 timestamp: wall time, no zone
	leafString                    // STRING, ENUM: text
	leafUUID                      // canonical text form
	leafJSON                      // record.JSON
	leafNull                      // the UNKNOWN (null) logical type: always nil
)

type leafType struct {
	kind  leafKind
	scale int           // leafDecimal
	unit  time.Duration // leafTime, leafTimestamp
	utc   bool          // leafTimestamp
}

func leafTypeOf(t parquet.Type) leafType {
	if lt := t.LogicalType(); lt != nil {
		switch x := lt.Value.(type) {
		case *pqformat.StringType, *pqformat.EnumType:
			return leafType{kind: leafString}
		case *pqformat.UUIDType:
			if t.Kind() == parquet.FixedLenByteArray && t.Length() == 16 {
				return leafType{kind: leafUUID}
			}
		case *pqformat.DecimalType:
			return leafType{kind: leafDecimal, scale: int(x.Scale)}
		case *pqformat.DateType:
			return leafType{kind: leafDate}
		case *pqformat.TimeType:
			return leafType{kind: leafTime, unit: unitOf(x.Unit)}
		case *pqformat.TimestampType:
			return leafType{kind: leafTimestamp, unit: unitOf(x.Unit), utc: x.IsAdjustedToUTC}
		case *pqformat.IntType:
			if !x.IsSigned {
				return leafType{kind: leafUint}
			}
			return leafType{kind: leafInt}
		case *pqformat.NullType:
			return leafType{kind: leafNull}
		case *pqformat.JsonType:
			return leafType{kind: leafJSON}
		case *pqformat.Float16Type:
			if t.Kind() == parquet.FixedLenByteArray && t.Length() == 2 {
				return leafType{kind: leafFloat16}
			}
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		return leafType{kind: leafBool}
	case parquet.Int32, parquet.Int64:
		return leafType{kind: leafInt}
	case parquet.Int96:
		return leafType{kind: leafInt96}
	case parquet.Float, parquet.Double:
		return leafType{kind: leafFloat}
	}
	return leafType{kind: leafBinary}
}

func unitOf(u pqformat.TimeUnit) time.Duration {
	if u.Value == nil {
		return time.Millisecond
	}
	return u.Value.Duration()
}

// errValue is a value that has no record form; the record is rejected.
type errValue struct{ reason, raw string }

func (e *errValue) Error() string { return e.reason }

func notUTF8(b []byte) error {
	return &errValue{"the text is not valid UTF-8", strings.ToValidUTF8(string(b), "\uFFFD")}
}

// errCorrupt is a row whose levels do not match the schema.
var errCorrupt = errors.New("corrupt parquet data: the repetition and definition levels do not match the schema")

// scalar converts a non-null leaf value to its record form.
func (t leafType) scalar(v parquet.Value) (any, error) {
	switch t.kind {
	case leafNull:
		return nil, nil
	case leafBool:
		if v.Kind() != parquet.Boolean {
			return nil, errCorrupt
		}
		return v.Boolean(), nil
	case leafString:
		b := v.ByteArray()
		if !utf8.Valid(b) {
			return nil, notUTF8(b)
		}
		return string(b), nil
	case leafJSON:
		b := v.ByteArray()
		if !json.Valid(b) {
			return nil, &errValue{"the value of a JSON column is not valid JSON", strings.ToValidUTF8(string(b), "\uFFFD")}
		}
		return record.JSON(compactJSON(b)), nil
	case leafDecimal:
		return t.decimal(v)
	case leafUint:
		u, ok := t.uint(v)
		if !ok {
			return nil, errCorrupt
		}
		if u > math.MaxInt64 {
			return record.Decimal(strconv.FormatUint(u, 10)), nil
		}
		return json.Number(strconv.FormatUint(u, 10)), nil
	}
	// Integers and doubles stay binary: no text to format here and parse
	// again when the row is cast and loaded.
	switch {
	case t.kind == leafInt && v.Kind() == parquet.Int32:
		return int64(v.Int32()), nil
	case t.kind == leafInt && v.Kind() == parquet.Int64:
		return v.Int64(), nil
	case t.kind == leafFloat && v.Kind() == parquet.Double:
		if f := v.Double(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
	}
	b, err := t.appendText(nil, v)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case leafInt, leafFloat, leafFloat16:
		return json.Number(b), nil
	}
	return string(b), nil
}

func (t leafType) uint(v parquet.Value) (uint64, bool) {
	switch v.Kind() {
	case parquet.Int32:
		return uint64(uint32(v.Int32())), true
	case parquet.Int64:
		return uint64(v.Int64()), true
	}
	return 0, false
}

// appendText appends the text form of the kinds whose record form is text or
// a json.Number.
func (t leafType) appendText(b []byte, v parquet.Value) ([]byte, error) {
	switch t.kind {
	case leafInt:
		switch v.Kind() {
		case parquet.Int32:
			return strconv.AppendInt(b, int64(v.Int32()), 10), nil
		case parquet.Int64:
			return strconv.AppendInt(b, v.Int64(), 10), nil
		}
	case leafUint:
		if u, ok := t.uint(v); ok {
			return strconv.AppendUint(b, u, 10), nil
		}
	case leafFloat:
		switch v.Kind() {
		case parquet.Float:
			return appendFloat(b, float64(v.Float()), 32)
		case parquet.Double:
			return appendFloat(b, v.Double(), 64)
		}
	case leafFloat16:
		if x := v.ByteArray(); len(x) == 2 {
			return appendFloat(b, float64(float16(binary.LittleEndian.Uint16(x))), 32)
		}
	case leafDate:
		if v.Kind() == parquet.Int32 {
			return time.Unix(int64(v.Int32())*86400, 0).UTC().AppendFormat(b, "2006-01-02"), nil
		}
	case leafTime:
		var n int64
		switch v.Kind() {
		case parquet.Int32:
			n = int64(v.Int32())
		case parquet.Int64:
			n = v.Int64()
		default:
			return nil, errCorrupt
		}
		return time.Unix(0, n*int64(t.unit)).UTC().AppendFormat(b, "15:04:05.999999999"), nil
	case leafTimestamp:
		if v.Kind() != parquet.Int64 {
			return nil, errCorrupt
		}
		ts := unixIn(v.Int64(), t.unit)
		if t.utc {
			return ts.AppendFormat(b, "2006-01-02T15:04:05.999999999Z"), nil
		}
		return ts.AppendFormat(b, "2006-01-02T15:04:05.999999999"), nil
	case leafInt96:
		if v.Kind() != parquet.Int96 {
			return nil, errCorrupt
		}
		x := v.Int96()
		nanos := int64(uint64(x[1])<<32 | uint64(x[0]))
		days := int64(x[2]) - 2440588 // Julian day of 1970-01-01
		ts := time.Unix(days*86400, 0).UTC().Add(time.Duration(nanos))
		return ts.AppendFormat(b, "2006-01-02T15:04:05.999999999"), nil
	case leafUUID:
		x := v.ByteArray()
		const hexdigits = "0123456789abcdef"
		for i, c := range x {
			if i == 4 || i == 6 || i == 8 || i == 10 {
				b = append(b, '-')
			}
			b = append(b, hexdigits[c>>4], hexdigits[c&15])
		}
		return b, nil
	case leafString:
		x := v.ByteArray()
		if !utf8.Valid(x) {
			return nil, notUTF8(x)
		}
		return append(b, x...), nil
	case leafDecimal:
		d, err := t.decimal(v)
		if err != nil {
			return nil, err
		}
		return append(b, d.(record.Decimal)...), nil
	case leafBinary:
		x := v.ByteArray()
		return base64.StdEncoding.AppendEncode(b, x), nil
	}
	return nil, errCorrupt
}

// unixIn is n units after the Unix epoch, in UTC, without overflowing for
// the dates a millisecond or microsecond timestamp can hold.
func unixIn(n int64, unit time.Duration) time.Time {
	per := int64(time.Second / unit)
	sec, frac := n/per, n%per
	if frac < 0 {
		sec, frac = sec-1, frac+per
	}
	return time.Unix(sec, frac*int64(unit)).UTC()
}

// appendFloat appends the shortest text that reads back as f (at bitSize), with
// a point or an exponent so that inference takes it for a double, never an
// integer. NaN and infinities have no place in a database or JSON column: they
// reject the record.
func appendFloat(b []byte, f float64, bitSize int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &errValue{"NaN and infinite floating-point values are not supported", strconv.FormatFloat(f, 'g', -1, 64)}
	}
	start := len(b)
	abs, fmt := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	b = strconv.AppendFloat(b, f, fmt, -1, bitSize)
	for _, c := range b[start:] {
		if c == '.' || c == 'e' {
			return b, nil
		}
	}
	return append(b, ".0"...), nil
}

// float16 converts an IEEE 754 half-precision value.
func float16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(frac) / 1024 / (1 << 14)
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// decimal renders the unscaled integer (INT32, INT64, or big-endian two's
// complement bytes) with the column's scale.
func (t leafType) decimal(v parquet.Value) (any, error) {
	var digits []byte
	var buf [48]byte
	switch v.Kind() {
	case parquet.Int32:
		digits = strconv.AppendInt(buf[:0], int64(v.Int32()), 10)
	case parquet.Int64:
		digits = strconv.AppendInt(buf[:0], v.Int64(), 10)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		x := v.ByteArray()
		if len(x) == 0 {
			return nil, &errValue{reason: "a decimal value has no bytes"}
		}
		if len(x) <= 8 {
			n := int64(int8(x[0])) // sign-extend
			for _, c := range x[1:] {
				n = n<<8 | int64(c)
			}
			digits = strconv.AppendInt(buf[:0], n, 10)
		} else {
			n := new(big.Int).SetBytes(x)
			if x[0]&0x80 != 0 {
				n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(x))*8))
			}
			digits = n.Append(buf[:0], 10)
		}
	default:
		return nil, errCorrupt
	}
	return record.Decimal(scaleDigits(digits, t.scale)), nil
}

// scaleDigits places the decimal point scale digits from the right of an
// integer's text: ("-1230", 2) → "-12.30", ("5", 3) → "0.005".
func scaleDigits(digits []byte, scale int) string {
	if scale <= 0 {
		if scale < 0 && string(digits) != "0" { // not allowed by the format, but exact
			for ; scale < 0; scale++ {
				digits = append(digits, '0')
			}
		}
		return string(digits)
	}
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	out := make([]byte, 0, len(digits)+scale+3)
	if neg {
		out = append(out, '-')
	}
	if len(digits) <= scale {
		out = append(out, '0', '.')
		for i := len(digits); i < scale; i++ {
			out = append(out, '0')
		}
		return string(append(out, digits...))
	}
	out = append(out, digits[:len(digits)-scale]...)
	out = append(out, '.')
	return string(append(out, digits[len(digits)-scale:]...))
}

// appendJSON appends a non-null leaf value as JSON, for nested columns.
func (t leafType) appendJSON(b []byte, v parquet.Value) ([]byte, error) {
	switch t.kind {
	case leafNull:
		return append(b, "null"...), nil
	case leafBool:
		if v.Kind() != parquet.Boolean {
			return nil, errCorrupt
		}
		return strconv.AppendBool(b, v.Boolean()), nil
	case leafJSON:
		x := v.ByteArray()
		if !json.Valid(x) {
			return nil, &errValue{"the value of a JSON column is not valid JSON", strings.ToValidUTF8(string(x), "\uFFFD")}
		}
		return append(b, compactJSON(x)...), nil
	case leafInt, leafUint, leafFloat, leafFloat16, leafDecimal:
		return t.appendText(b, v)
	}
	start := len(b)
	b, err := t.appendText(b, v)
	if err != nil {
		return nil, err
	}
	s := string(b[start:])
	return appendJSONString(b[:start], s), nil
}

// appendJSONString appends s (valid UTF-8) as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hexdigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return append([]byte(nil), b...)
	}
	return buf.Bytes()
}
