package record

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/timefmt"
)

func mustType(t testing.TB, s string) Type {
	t.Helper()
	typ, err := ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestConvert(t *testing.T) {
	t.Parallel()
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		typ  string
		want any
	}{
		{"nil stays nil", nil, "bigint", nil},
		{"bigint", "42", "bigint", int64(42)},
		{"bigint trimmed and signed", "  -42 ", "bigint", int64(-42)},
		{"bigint plus sign", "+7", "bigint", int64(7)},
		{"bigint leading zeros", "007", "bigint", int64(7)},
		{"bigint min", "-9223372036854775808", "bigint", int64(math.MinInt64)},
		{"bigint max", "9223372036854775807", "bigint", int64(math.MaxInt64)},
		{"integer max", "2147483647", "integer", int64(math.MaxInt32)},
		{"bigint from integral float", 3.0, "bigint", int64(3)},
		{"bigint from bool", true, "bigint", int64(1)},
		{"bigint from json number", json.Number("12"), "bigint", int64(12)},
		{"bigint from integral json number", json.Number("1.0e2"), "bigint", int64(100)},
		{"bigint from integral decimal", Decimal("12.00"), "bigint", int64(12)},
		{"double", "1.5", "double", 1.5},
		{"double exponent", " -2.5e-3 ", "double", -0.0025},
		{"double from int", int64(3), "double", 3.0},
		{"double from decimal", Decimal("0.10"), "double", 0.1},
		{"double from json number", json.Number("1e2"), "double", 100.0},
		{"decimal", "12.3", "decimal(5,2)", Decimal("12.30")},
		{"decimal canonical", "12.30", "decimal(5,2)", Decimal("12.30")},
		{"decimal rounds half away from zero", "1.005", "decimal(5,2)", Decimal("1.01")},
		{"decimal rounds negative away from zero", "-1.005", "decimal(5,2)", Decimal("-1.01")},
		{"decimal rounds down", "1.0049", "decimal(5,2)", Decimal("1.00")},
		{"decimal carry", "9.995", "decimal(5,2)", Decimal("10.00")},
		{"decimal negative zero", "-0.001", "decimal(5,2)", Decimal("0.00")},
		{"decimal exponent", "1.5e2", "decimal(5,1)", Decimal("150.0")},
		{"decimal negative exponent", "15E-3", "decimal(5,3)", Decimal("0.015")},
		{"decimal leading point", ".5", "decimal(3,1)", Decimal("0.5")},
		{"decimal trailing point", "5.", "decimal(3,0)", Decimal("5")},
		{"decimal scale zero rounds", "2.5", "decimal(3,0)", Decimal("3")},
		{"decimal tiny", "0.0000001", "decimal(5,2)", Decimal("0.00")},
		{"decimal from int", int64(-12), "decimal(4,2)", Decimal("-12.00")},
		{"decimal from float", 0.1, "decimal(4,2)", Decimal("0.10")},
		{"decimal from float shortest text", 2.675, "decimal(4,2)", Decimal("2.68")},
		{"decimal rescale", Decimal("1.25"), "decimal(4,1)", Decimal("1.3")},
		{"decimal 38 digits", "12345678901234567890123456789012345678", "decimal(38,0)", Decimal("12345678901234567890123456789012345678")},
		{"boolean yes", "Yes", "boolean", true},
		{"boolean T", "T", "boolean", true},
		{"boolean 0", " 0 ", "boolean", false},
		{"boolean n", "n", "boolean", false},
		{"boolean FALSE", "FALSE", "boolean", false},
		{"boolean from int", int64(1), "boolean", true},
		{"date", "2024-01-02", "date", day(2024, 1, 2)},
		{"date midnight timestamp", "2024-01-02T00:00:00", "date", day(2024, 1, 2)},
		{"date from time", day(2024, 1, 2), "date", day(2024, 1, 2)},
		{"timestamp", "2024-01-02 03:04:05", "timestamp", ts},
		{"timestamp zoned to utc", "2024-01-02T05:04:05+02:00", "timestamp", ts},
		{"timestamp from date", "2024-01-02", "timestamp", day(2024, 1, 2)},
		{"timestamptz zoneless is utc", "2024-01-02T03:04:05", "timestamptz", ts},
		{"timestamp with format", "02/01/2024 03:04:05", "timestamp('%d/%m/%Y %H:%M:%S')", ts},
		{"date with format", "02.01.2024", "date('%d.%m.%Y')", day(2024, 1, 2)},
		{"timestamp from time in zone", ts.In(time.FixedZone("X", 3600)), "timestamp", ts},
		{"json object compacted", `{ "a" : [1, 2] }`, "json", JSON(`{"a":[1,2]}`)},
		{"json scalar", `"x"`, "json", JSON(`"x"`)},
		{"json passes", JSON(`[1]`), "json", JSON(`[1]`)},
		{"json from number", json.Number("1.5"), "json", JSON(`1.5`)},
		{"json from bool", true, "json", JSON(`true`)},
		{"json from time", ts, "json", JSON(`"2024-01-02T03:04:05Z"`)},
		{"text from int", int64(5), "text", "5"},
		{"text keeps spaces", " a ", "text", " a "},
		{"text from time", ts, "text", "2024-01-02T03:04:05Z"},
		{"text from json", JSON(`{"a":1}`), "text", `{"a":1}`},
		{"text from decimal", Decimal("1.50"), "text", "1.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Convert(tt.in, mustType(t, tt.typ))
			if err != nil {
				t.Fatalf("Convert(%#v, %s): %v", tt.in, tt.typ, err)
			}
			if tm, ok := tt.want.(time.Time); ok {
				g, ok := got.(time.Time)
				if !ok || !g.Equal(tm) || g.Location() != time.UTC {
					t.Fatalf("Convert(%#v, %s) = %#v, want %v in UTC", tt.in, tt.typ, got, tm)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Convert(%#v, %s) = %#v (%T), want %#v (%T)", tt.in, tt.typ, got, got, tt.want, tt.want)
			}
		})
	}
	t.Run("unknown type returns the value", func(t *testing.T) {
		t.Parallel()
		if got, err := Convert(json.Number("1"), Type{}); err != nil || got != json.Number("1") {
			t.Errorf("Convert to unknown = %#v, %v", got, err)
		}
	})
}

func TestConvertErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		typ  string
		want string
	}{
		{"not an integer", "abc", "bigint", `cannot cast "abc" to bigint`},
		{"integer refuses a point", "1.0", "bigint", `cannot cast "1.0" to bigint`},
		{"integer refuses an exponent", "1e3", "bigint", `cannot cast "1e3" to bigint`},
		{"empty", "", "bigint", `cannot cast "" to bigint`},
		{"sign only", "-", "bigint", `cannot cast "-" to bigint`},
		{"bigint overflow", "9223372036854775808", "bigint", `9223372036854775808 is out of range for bigint`},
		{"bigint underflow", "-9223372036854775809", "bigint", `-9223372036854775809 is out of range for bigint`},
		{"integer range", "2147483648", "integer", `2147483648 is out of range for integer`},
		{"fractional float to bigint", 1.5, "bigint", `cannot cast 1.5 to bigint`},
		{"huge float to bigint", 1e19, "bigint", `10000000000000000000 is out of range for bigint`},
		{"fractional decimal to bigint", Decimal("1.50"), "bigint", `cannot cast 1.50 to bigint`},
		{"time to bigint", day(2024, 1, 1), "bigint", `cannot cast 2024-01-01T00:00:00Z to bigint`},
		{"double NaN refused", "NaN", "double", `cannot cast "NaN" to double`},
		{"double Inf refused", "Inf", "double", `cannot cast "Inf" to double`},
		{"double hex refused", "0x1p-2", "double", `cannot cast "0x1p-2" to double`},
		{"double underscore refused", "1_000", "double", `cannot cast "1_000" to double`},
		{"double overflow", "1e400", "double", `1e400 is out of range for double`},
		{"decimal does not fit", "123456.7", "decimal(4,2)", `123456.7 does not fit decimal(4,2)`},
		{"decimal does not fit after rounding", "99.995", "decimal(4,2)", `99.995 does not fit decimal(4,2)`},
		{"decimal syntax", "12,5", "decimal(4,2)", `cannot cast "12,5" to decimal(4,2)`},
		{"decimal two points", "1.2.3", "decimal(4,2)", `cannot cast "1.2.3" to decimal(4,2)`},
		{"decimal empty exponent", "1e", "decimal(4,2)", `cannot cast "1e" to decimal(4,2)`},
		{"decimal from bool", true, "decimal(4,2)", `cannot cast true to decimal(4,2)`},
		{"boolean", "maybe", "boolean", `cannot cast "maybe" to boolean`},
		{"boolean from 2", int64(2), "boolean", `cannot cast 2 to boolean`},
		{"timestamp bad month", "2024-13-01", "timestamp", `cannot cast "2024-13-01" to timestamp`},
		{"format mismatch", "2024-13-01", "timestamp('%Y-%m-%d')", `"2024-13-01" does not match timestamp('%Y-%m-%d')`},
		{"date with time of day", "2024-01-02 10:00:00", "date", `cannot cast "2024-01-02 10:00:00" to date: it has a time of day`},
		{"date from zoned non-midnight", "2024-01-02T00:00:00+02:00", "date", `to date: it has a time of day`},
		{"bad format", "2024", "date('%Q')", `unknown directive %Q in "%Q"`},
		{"json invalid", "{a:1}", "json", `cannot cast "{a:1}" to json`},
		{"json plain text", "hello", "json", `cannot cast "hello" to json`},
		{"long value cut", strings.Repeat("x", 100), "bigint", `cannot cast "` + strings.Repeat("x", 64) + `…" to bigint`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Convert(tt.in, mustType(t, tt.typ))
			if err == nil {
				t.Fatalf("Convert(%#v, %s) = %#v, want error %q", tt.in, tt.typ, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Convert(%#v, %s) error = %q, want %q", tt.in, tt.typ, err, tt.want)
			}
		})
	}
	t.Run("format mismatch unwraps to the parse detail", func(t *testing.T) {
		t.Parallel()
		_, err := Convert("2024-13-01", mustType(t, "date('%Y-%m-%d')"))
		var pe *timefmt.ParseError
		if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "month 13 out of range") {
			t.Errorf("error %v does not unwrap to the parse error", err)
		}
	})
}

func TestConverter(t *testing.T) {
	t.Parallel()
	c, err := NewConverter(mustType(t, "timestamp('%d/%m/%Y %H:%M')"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Convert("02/01/2024 03:04")
	if err != nil || !got.(time.Time).Equal(time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)) {
		t.Errorf("Convert = %v, %v", got, err)
	}
	if c.Type().Format != "%d/%m/%Y %H:%M" {
		t.Errorf("Type() = %v", c.Type())
	}
	if _, err := NewConverter(mustType(t, "date('%Y-%')")); err == nil {
		t.Error("NewConverter accepted a bad format")
	}
}

func TestInfer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want Type
	}{
		{nil, Type{}},
		{"", Text},
		{"true", Boolean},
		{"FALSE", Boolean},
		{"yes", Text},
		{"0", Bigint},
		{"-12", Bigint},
		{"+12", Bigint},
		{"007", Text},
		{"-007", Text},
		{"9223372036854775807", Bigint},
		{"9223372036854775808", Text},
		{"1.5", Double},
		{"0.5", Double},
		{".5", Double},
		{"-1e3", Double},
		{"1E-3", Double},
		{"00.5", Text},
		{"1e400", Text},
		{"NaN", Text},
		{"1.2.3", Text},
		{"2024-01-02", Date},
		{"2024-01-02T03:04:05", Timestamp},
		{"2024-01-02 03:04:05.123", Timestamp},
		{"2024-01-02T03:04:05Z", TimestampTZ},
		{"2024-01-02T03:04:05+02:00", TimestampTZ},
		{"2024-02-30", Text},
		{" 12", Text},
		{"hello", Text},
		{json.Number("12"), Bigint},
		{json.Number("1.5"), Double},
		{json.Number("99999999999999999999"), Double},
		{int64(1), Bigint},
		{1.5, Double},
		{true, Boolean},
		{Decimal("123.45"), Type{Kind: KindDecimal, Precision: 5, Scale: 2}},
		{Decimal("-0.5"), Type{Kind: KindDecimal, Precision: 2, Scale: 1}},
		{Decimal("42"), Type{Kind: KindDecimal, Precision: 2, Scale: 0}},
		{time.Now(), Timestamp},
		{JSON(`{}`), JSONType},
	}
	for _, tt := range tests {
		t.Run(String(tt.in), func(t *testing.T) {
			t.Parallel()
			got := Infer(tt.in)
			if got != tt.want {
				t.Errorf("Infer(%#v) = %v, want %v", tt.in, got, tt.want)
			}
			// What Infer claims, Convert must accept.
			if s, ok := tt.in.(string); ok && got.Kind != KindUnknown {
				if _, err := Convert(s, got); err != nil {
					t.Errorf("Infer(%q) = %v but Convert fails: %v", s, got, err)
				}
			}
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"a b", "a b"},
		{int64(-5), "-5"},
		{1.5, "1.5"},
		{12345678.0, "12345678"},
		{1e21, "1e+21"},
		{1e-7, "1e-7"},
		{math.Nextafter(0.3, 1), "0.30000000000000004"},
		{Decimal("1.50"), "1.50"},
		{true, "true"},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05Z"},
		{time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.FixedZone("X", 3600)), "2024-01-02T02:04:05.12Z"},
		{JSON(`{"a":1}`), `{"a":1}`},
		{json.Number("1.0"), "1.0"},
		{map[string]any{"a": 1}, `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := String(tt.in); got != tt.want {
				t.Errorf("String(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestDoubleTextRoundTrip checks that String of a double reads back exactly.
func TestDoubleTextRoundTrip(t *testing.T) {
	t.Parallel()
	for _, f := range []float64{0, -0.5, 1e-7, 123.456, 1e20, 1e21, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		got, err := Convert(String(f), Double)
		if err != nil || got != f {
			t.Errorf("Convert(String(%v)) = %v, %v", f, got, err)
		}
	}
}

func BenchmarkConvertBigint(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Convert("1234567890", Bigint); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvertDouble(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Convert("12345.678", Double); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvertDecimal(b *testing.B) {
	typ := Type{Kind: KindDecimal, Precision: 12, Scale: 2}
	b.Run("canonical", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Convert("12345.67", typ); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rounded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Convert("12345.6789", typ); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkConvertTimestamp(b *testing.B) {
	b.Run("iso", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Convert("2024-01-02T03:04:05Z", Timestamp); err != nil {
				b.Fatal(err)
			}
		}
	})
	typ := Type{Kind: KindTimestamp, Format: "%d/%m/%Y %H:%M:%S"}
	b.Run("format cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Convert("02/01/2024 03:04:05", typ); err != nil {
				b.Fatal(err)
			}
		}
	})
	c, _ := NewConverter(typ)
	b.Run("converter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Convert("02/01/2024 03:04:05"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkInfer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range []string{"12", "1.5", "2024-01-02", "hello"} {
			Infer(s)
		}
	}
}
