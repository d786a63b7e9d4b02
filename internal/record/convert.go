package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-data/sluice/internal/timefmt"
)

// Convert converts v to type t: the semantics of a cast step and of inference.
// nil converts to nil. It returns an error that says why, for a reject reason,
// for example `cannot cast "abc" to bigint`.
//
// The rules, by target type:
//   - text: any value's text form (String); strings are kept as they are.
//   - bigint, integer: integer syntax (surrounding spaces trimmed, optional sign,
//     digits only; "1.0" and "1e3" are refused), range-checked (integer is 32-bit).
//     Floats and decimals convert only when integral; booleans give 0 and 1.
//   - double: decimal float syntax; NaN, infinities and hex floats are refused,
//     so every double is finite and portable to every database and to JSON.
//     Integers and decimals convert with the usual rounding of a double.
//   - decimal(p,s): exact decimal syntax with an optional exponent, rounded half
//     away from zero to s digits; an error when more than p−s integer digits
//     remain. The result is a Decimal in canonical form.
//   - boolean: true/false/t/f/yes/no/y/n/1/0 in any case; integers 0 and 1.
//   - date, timestamp, timestamptz: with a format, timefmt; without, the ISO 8601
//     forms of timefmt.ParseISO. Results are UTC; a zoneless text is UTC, a zoned
//     one is converted. A date refuses a time of day other than 00:00:00.
//   - json: a string must hold valid JSON (it is compacted); other values become
//     their JSON form.
//   - unknown (the zero Type): v is returned unchanged.
//
// Convert caches compiled formats; callers converting many values should hold a
// Converter instead.
func Convert(v any, t Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	c := Converter{t: t}
	if t.Format != "" && isTimeKind(t.Kind) {
		l, err := cachedLayout(t.Format)
		if err != nil {
			return nil, err
		}
		c.layout = l
	}
	return c.Convert(v)
}

// Converter converts values to one type, holding its compiled time format. The
// zero Converter returns values unchanged. It is safe for concurrent use.
type Converter struct {
	t      Type
	layout *timefmt.Layout
}

// NewConverter returns a Converter to t, compiling t's format once. A format that
// does not compile is an error naming the directive.
func NewConverter(t Type) (Converter, error) {
	c := Converter{t: t}
	if t.Format != "" && isTimeKind(t.Kind) {
		l, err := timefmt.Compile(t.Format)
		if err != nil {
			return Converter{}, err
		}
		c.layout = l
	}
	return c, nil
}

// Type returns the target type, with its format.
func (c Converter) Type() Type { return c.t }

// Convert converts v as the package-level Convert does.
func (c Converter) Convert(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.t.Kind {
	case KindUnknown:
		return v, nil
	case KindText:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return String(v), nil
	case KindBoolean:
		return toBool(v, c.t)
	case KindInteger, KindBigint:
		return toInt(v, c.t)
	case KindDouble:
		return toDouble(v, c.t)
	case KindDecimal:
		return toDecimal(v, c.t)
	case KindDate, KindTimestamp, KindTimestampTZ:
		return c.toTime(v)
	case KindJSON:
		return toJSON(v, c.t)
	}
	return nil, errors.New("cannot cast to " + c.t.String())
}

func isTimeKind(k Kind) bool { return k == KindDate || k == KindTimestamp || k == KindTimestampTZ }

// castError is the generic reject reason.
func castError(v any, t Type) error {
	return errors.New("cannot cast " + show(v) + " to " + t.String())
}

// show renders v for an error message: text quoted, numbers bare, long values cut.
func show(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(cut(x))
	case JSON:
		return cut(string(x))
	}
	return cut(String(v))
}

func cut(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && s[i]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		i--
	}
	return s[:i] + "…"
}

func toBool(v any, t Type) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch s := strings.TrimSpace(x); {
		case fold(s, "true"), fold(s, "t"), fold(s, "yes"), fold(s, "y"), s == "1":
			return true, nil
		case fold(s, "false"), fold(s, "f"), fold(s, "no"), fold(s, "n"), s == "0":
			return false, nil
		}
	case int64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case json.Number:
		if x == "0" || x == "1" {
			return x == "1", nil
		}
	}
	return nil, castError(v, t)
}

func toInt(v any, t Type) (any, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case string:
		var ok, overflow bool
		n, ok, overflow = parseInt(strings.TrimSpace(x))
		if overflow {
			return nil, rangeError(strings.TrimSpace(x), t)
		}
		if !ok {
			return nil, castError(v, t)
		}
	case json.Number:
		var ok, overflow bool
		if n, ok, overflow = parseInt(string(x)); overflow {
			return nil, rangeError(string(x), t)
		}
		if !ok {
			var d decimal
			if !d.parse(string(x)) {
				return nil, castError(v, t)
			}
			if n, ok = d.int64(); !ok {
				return nil, castError(v, t)
			}
		}
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return nil, castError(v, t)
		}
		if x < -9.223372036854775808e18 || x >= 9.223372036854775808e18 {
			return nil, rangeError(String(x), t)
		}
		n = int64(x)
	case Decimal:
		var d decimal
		if !d.parse(string(x)) {
			return nil, castError(v, t)
		}
		var ok bool
		if n, ok = d.int64(); !ok {
			return nil, castError(v, t)
		}
	case bool:
		if x {
			n = 1
		}
	default:
		return nil, castError(v, t)
	}
	if t.Kind == KindInteger && (n < math.MinInt32 || n > math.MaxInt32) {
		return nil, rangeError(strconv.FormatInt(n, 10), t)
	}
	return n, nil
}

func rangeError(text string, t Type) error {
	return errors.New(cut(text) + " is out of range for " + t.String())
}

// parseInt parses optional sign and decimal digits, without allocating.
func parseInt(s string) (n int64, ok, overflow bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		i = 1
	}
	if i == len(s) {
		return 0, false, false
	}
	var u uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false, false
		}
		if u > (math.MaxUint64-9)/10 {
			overflow = true
			continue
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case overflow, !neg && u > math.MaxInt64, neg && u > 1<<63:
		return 0, true, true
	case neg:
		return -int64(u), true, false
	}
	return int64(u), true, false
}

func toDouble(v any, t Type) (any, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		return float64(x), nil
	case string:
		s := strings.TrimSpace(x)
		if !isFloatSyntax(s) {
			return nil, castError(v, t)
		}
		f, _ = strconv.ParseFloat(s, 64)
	case json.Number:
		if !isFloatSyntax(string(x)) {
			return nil, castError(v, t)
		}
		f, _ = strconv.ParseFloat(string(x), 64)
	case Decimal:
		f, _ = strconv.ParseFloat(string(x), 64)
	default:
		return nil, castError(v, t)
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, rangeError(String(v), t)
	}
	return f, nil
}

// isFloatSyntax accepts [sign] digits [. digits] [e [sign] digits] with at least
// one mantissa digit: no NaN, Inf, hex or underscores.
func isFloatSyntax(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func toDecimal(v any, t Type) (any, error) {
	var (
		d    decimal
		text string
		buf  [32]byte
	)
	switch x := v.(type) {
	case string:
		text = strings.TrimSpace(x)
	case json.Number:
		text = string(x)
	case Decimal:
		text = string(x)
	case int64:
		text = string(strconv.AppendInt(buf[:0], x, 10))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, castError(v, t)
		}
		text = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return nil, castError(v, t)
	}
	if !d.parse(text) {
		return nil, castError(v, t)
	}
	if t.Precision == 0 { // a Type built by hand without precision: the widest
		t.Precision = 38
	}
	var out [96]byte
	b, ok := d.format(out[:0], t.Precision, t.Scale)
	if !ok {
		return nil, errors.New(cut(text) + " does not fit " + t.String())
	}
	switch v.(type) {
	case string, json.Number, Decimal:
		if string(b) == text { // already canonical: keep the input's storage
			return Decimal(text), nil
		}
	}
	return Decimal(b), nil
}

func (c Converter) toTime(v any) (any, error) {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x.UTC()
	case string:
		s := strings.TrimSpace(x)
		if c.layout != nil {
			var err error
			if t, err = c.layout.Parse(s); err != nil {
				return nil, &timeError{msg: strconv.Quote(cut(x)) + " does not match " + c.t.String(), err: err}
			}
		} else {
			var ok bool
			if t, _, ok = timefmt.ParseISO(s); !ok {
				return nil, castError(v, c.t)
			}
		}
	default:
		return nil, castError(v, c.t)
	}
	if c.t.Kind == KindDate && (t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0) {
		return nil, errors.New("cannot cast " + show(v) + " to date: it has a time of day")
	}
	return t, nil
}

// timeError is a format mismatch; the message is the short reject reason and
// Unwrap gives the parser's detail (what was expected where).
type timeError struct {
	msg string
	err error
}

func (e *timeError) Error() string { return e.msg }
func (e *timeError) Unwrap() error { return e.err }

func toJSON(v any, t Type) (any, error) {
	switch x := v.(type) {
	case JSON:
		return x, nil
	case string:
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(x)); err != nil {
			return nil, castError(v, t)
		}
		return JSON(buf.Bytes()), nil
	case json.Number:
		if !isFloatSyntax(string(x)) {
			return nil, castError(v, t)
		}
		return JSON(x), nil
	case time.Time:
		return JSON(strconv.Quote(String(x))), nil
	case int64, float64, Decimal, bool:
		return JSON(String(x)), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, castError(v, t)
	}
	return JSON(b), nil
}

// layoutCache holds compiled formats for Convert; formats are few per process,
// so it is bounded only as a guard.
var layoutCache struct {
	sync.RWMutex
	m map[string]layoutEntry
}

type layoutEntry struct {
	l   *timefmt.Layout
	err error
}

func cachedLayout(format string) (*timefmt.Layout, error) {
	layoutCache.RLock()
	e, ok := layoutCache.m[format]
	layoutCache.RUnlock()
	if ok {
		return e.l, e.err
	}
	l, err := timefmt.Compile(format)
	layoutCache.Lock()
	if layoutCache.m == nil {
		layoutCache.m = make(map[string]layoutEntry)
	}
	if len(layoutCache.m) < 1024 {
		layoutCache.m[format] = layoutEntry{l, err}
	}
	layoutCache.Unlock()
	return l, err
}

func fold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// decimal is a parsed decimal number: value = 0.d[0]d[1]…d[n-1] × 10^point, with
// no leading or trailing zeros in d (zero has n == 0). Digits beyond the buffer
// are dropped; they cannot matter for any value that fits decimal(38,s).
type decimal struct {
	neg   bool
	d     [96]byte
	n     int
	point int
}

// parse reads [sign] digits [. digits] [e [sign] digits], at least one digit.
func (x *decimal) parse(s string) bool {
	*x = decimal{}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		x.neg = s[i] == '-'
		i++
	}
	seen, dot := false, false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if dot {
				return false
			}
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		seen = true
		if c == '0' && x.n == 0 { // leading zero
			if dot {
				x.point--
			}
			continue
		}
		if x.n < len(x.d) {
			x.d[x.n] = c
			x.n++
		}
		if !dot {
			x.point++
		}
	}
	if !seen {
		return false
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return false
		}
		exp := 0
		for ; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
			if exp < 100000 {
				exp = exp*10 + int(s[i]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
		if x.n > 0 {
			x.point += exp
		}
	}
	for x.n > 0 && x.d[x.n-1] == '0' {
		x.n--
	}
	if x.n == 0 {
		x.point, x.neg = 0, false
	}
	return true
}

// round rounds to scale digits after the point, half away from zero.
func (x *decimal) round(scale int) {
	keep := x.point + scale
	if keep >= x.n {
		return
	}
	if keep < 0 {
		x.n, x.point, x.neg = 0, 0, false
		return
	}
	up := x.d[keep] >= '5'
	x.n = keep
	if up {
		i := keep - 1
		for i >= 0 && x.d[i] == '9' {
			i--
		}
		if i < 0 { // 999.5 → 1000
			x.d[0] = '1'
			x.n = 1
			x.point++
		} else {
			x.d[i]++
			x.n = i + 1
		}
	}
	for x.n > 0 && x.d[x.n-1] == '0' {
		x.n--
	}
	if x.n == 0 {
		x.point, x.neg = 0, false
	}
}

// format rounds to scale and appends the canonical text; ok is false when more
// than precision−scale integer digits remain.
func (x *decimal) format(b []byte, precision, scale int) ([]byte, bool) {
	x.round(scale)
	if x.n > 0 && x.point > precision-scale {
		return b, false
	}
	if x.neg {
		b = append(b, '-')
	}
	if x.point <= 0 {
		b = append(b, '0')
	} else {
		for i := 0; i < x.point; i++ {
			b = append(b, x.digit(i))
		}
	}
	if scale > 0 {
		b = append(b, '.')
		for i := x.point; i < x.point+scale; i++ {
			b = append(b, x.digit(i))
		}
	}
	return b, true
}

func (x *decimal) digit(i int) byte {
	if i < 0 || i >= x.n {
		return '0'
	}
	return x.d[i]
}

// int64 returns the value when it is integral and fits.
func (x *decimal) int64() (int64, bool) {
	if x.n > x.point || x.point > 19 {
		return 0, false
	}
	var u uint64
	for i := 0; i < x.point; i++ {
		u = u*10 + uint64(x.digit(i)-'0')
		if u > 1<<63 {
			return 0, false
		}
	}
	if x.neg {
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// Infer returns the narrowest type that v belongs to, for type inference. A string
// is inspected (boolean, bigint, double, date, timestamp, timestamptz, else text);
// nil returns the zero Type (KindUnknown).
//
// Strings are inspected as they are, untrimmed: only "true" and "false" (any
// case) are boolean; integer syntax without leading zeros ("007" stays text, as
// codes and zip codes should) that fits 64 bits is bigint; a number with a point
// or an exponent is double; then ISO dates and timestamps; everything else,
// including "", is text. A Decimal gives the decimal type of its digits.
func Infer(v any) Type {
	switch x := v.(type) {
	case nil:
		return Type{}
	case string:
		return inferString(x)
	case json.Number:
		if _, ok, overflow := parseInt(string(x)); ok && !overflow {
			return Bigint
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil && !math.IsInf(f, 0) && isFloatSyntax(string(x)) {
			return Double
		}
		return Text
	case int64:
		return Bigint
	case float64:
		return Double
	case bool:
		return Boolean
	case Decimal:
		return decimalType(string(x))
	case time.Time:
		return Timestamp
	case JSON:
		return JSONType
	}
	return Text
}

func inferString(s string) Type {
	if s == "" {
		return Text
	}
	if fold(s, "true") || fold(s, "false") {
		return Boolean
	}
	unsigned := s
	if s[0] == '-' || s[0] == '+' {
		unsigned = s[1:]
	}
	leadingZero := len(unsigned) > 1 && unsigned[0] == '0' && unsigned[1] >= '0' && unsigned[1] <= '9'
	if _, ok, overflow := parseInt(s); ok {
		if leadingZero || overflow {
			return Text
		}
		return Bigint
	}
	if !leadingZero && isFloatSyntax(s) && strings.ContainsAny(s, ".eE") {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return Double
		}
		return Text
	}
	if len(s) >= 10 && s[4] == '-' {
		if _, kind, ok := timefmt.ParseISO(s); ok {
			switch kind {
			case timefmt.ISODate:
				return Date
			case timefmt.ISODateTime:
				return Timestamp
			}
			return TimestampTZ
		}
	}
	return Text
}

// decimalType is the decimal(p,s) that holds the canonical text s exactly.
func decimalType(s string) Type {
	intDigits, scale, dot, lead := 0, 0, false, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dot = true
		case c < '0' || c > '9':
		case dot:
			scale++
		case c == '0' && lead:
		default:
			lead = false
			intDigits++
		}
	}
	intDigits = max(intDigits, 1)
	scale = min(scale, 37)
	return Type{Kind: KindDecimal, Precision: min(intDigits+scale, 38), Scale: scale}
}

// String renders a value as text: how it is shown in rejects and how a text column
// stores a non-text value. Integers and decimals are plain digits; doubles use
// the shortest text that reads back exactly, in plain notation from 1e-6 up to
// 1e21 and in exponent notation outside (as encoding/json does); booleans are
// true and false; times are RFC 3339 in UTC with the fraction trimmed
// ("2024-01-02T03:04:05Z"); JSON is its compact text; nil is "".
func String(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		var buf [32]byte
		return string(appendFloat(buf[:0], x))
	case Decimal:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case JSON:
		return string(x)
	case json.Number:
		return string(x)
	case []byte:
		return string(x)
	case int:
		return strconv.Itoa(x)
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return "?"
}

// appendFloat formats like encoding/json: plain notation for 1e-6 <= |f| < 1e21.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	abs, fmt := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' { // e-09 → e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
