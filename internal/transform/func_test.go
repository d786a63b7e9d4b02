package transform

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sluice-data/sluice/internal/record"
)

// funcCols and funcRow are the row every function test evaluates against.
var (
	funcCols = []string{"s", "n", "f", "t", "z", "d", "j", "num", "year", "length"}
	funcTime = time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC) // a Saturday
	funcRow  = []any{"Hello World", int64(5), 2.5, funcTime, nil, record.Decimal("1.50"),
		record.JSON(`{"a":{"b":2},"tags":["x","y"]}`), json.Number("7"), int64(2020), "len"}
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestFunctions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want any
	}{
		// strings
		{`upper(s)`, "HELLO WORLD"},
		{`lower(s)`, "hello world"},
		{`trim("  a b  ")`, "a b"},
		{`ltrim("  a ")`, "a "},
		{`rtrim("  a ")`, "  a"},
		{`length("héllo")`, int64(5)},
		{`length(n)`, int64(1)},
		{`substr(s, 7)`, "World"},
		{`substr(s, 2, 3)`, "ell"},
		{`substr(s, 0, 2)`, "H"},
		{`substr(s, 50)`, ""},
		{`substr("héllo", 2, 1)`, "é"},
		{`replace("a-b-c", "-", "+")`, "a+b+c"},
		{`replace("abc", "", "x")`, "abc"},
		{`concat("a", z, n, true)`, "a5true"},
		{`contains(s, "World")`, true},
		{`s contains "World"`, true},
		{`not contains(s, "x")`, true},
		{`starts_with(s, "Hell")`, true},
		{`ends_with(s, "x")`, false},
		{`lpad("7", 3, "0")`, "007"},
		{`lpad("7", 4, "ab")`, "aba7"},
		{`rpad("ab", 4)`, "ab  "},
		{`lpad("hello", 2)`, "he"},
		{`split_part("a,b,c", ",", 2)`, "b"},
		{`split_part("a,b,c", ",", -1)`, "c"},
		{`split_part("a,b,c", ",", 5)`, ""},
		{`regex_match(s, "^H.*d$")`, true},
		{`regex_replace("a1b22", "[0-9]+", "#")`, "a#b#"},
		{`regex_replace("2024-03-09", "(\\d+)-(\\d+)-(\\d+)", "$3.$2.$1")`, "09.03.2024"},
		// numbers
		{`abs(-3)`, int64(3)},
		{`abs(-2.5)`, 2.5},
		{`round(2.675, 2)`, 2.68},
		{`round(2.5)`, 3.0},
		{`round(-2.5)`, -3.0},
		{`round(n)`, int64(5)},
		{`round(1250, -2)`, int64(1300)},
		{`round(-1250, -2)`, int64(-1300)},
		{`round(1234.5, -2)`, 1200.0},
		{`floor(f)`, 2.0},
		{`ceil(f)`, 3.0},
		{`floor(n)`, int64(5)},
		{`to_number("1.5")`, 1.5},
		{`to_number(n)`, 5.0},
		{`to_int("42")`, int64(42)},
		{`to_int(" 3.9 ")`, int64(3)},
		{`to_int(-3.9)`, int64(-3)},
		{`least(3, 1.5, z)`, 1.5},
		{`greatest(n, 2, 9)`, int64(9)},
		{`greatest("a", "b")`, "b"},
		{`least(z, z)`, nil},
		// dates
		{`year(t)`, int64(2024)},
		{`month(t)`, int64(3)},
		{`day(t)`, int64(9)},
		{`hour(t)`, int64(14)},
		{`minute(t)`, int64(5)},
		{`second(t)`, int64(7)},
		{`year("2023-12-31")`, int64(2023)},
		{`date_trunc("month", t)`, day(2024, 3, 1)},
		{`date_trunc("quarter", t)`, day(2024, 1, 1)},
		{`date_trunc("week", t)`, day(2024, 3, 4)},
		{`date_trunc("day", t)`, day(2024, 3, 9)},
		{`date_trunc("hour", t)`, time.Date(2024, 3, 9, 14, 0, 0, 0, time.UTC)},
		{`add_days(t, -9)`, time.Date(2024, 2, 29, 14, 5, 7, 0, time.UTC)},
		{`days_between("2024-01-01", "2024-03-01")`, int64(60)},
		{`days_between(t, "2024-03-08T23:59:59")`, int64(-1)},
		{`parse_date("09/03/2024", "%d/%m/%Y")`, day(2024, 3, 9)},
		{`parse_timestamp("2024-03-09 14:05:07")`, funcTime},
		{`parse_timestamp("9 Mar 2024 2:05:07 PM", "%d %b %Y %I:%M:%S %p")`, funcTime},
		{`format_time(t, "%d.%m.%Y %H:%M")`, "09.03.2024 14:05"},
		// nulls
		{`coalesce(z, n)`, int64(5)},
		{`coalesce(z)`, nil},
		{`nullif(n, 5)`, nil},
		{`nullif(n, 5.0)`, nil},
		{`nullif(n, 6)`, int64(5)},
		{`is_null(z)`, true},
		{`is_null(n)`, false},
		{`if_null(z, "x")`, "x"},
		{`upper(z)`, nil},
		{`substr(s, z)`, nil},
		{`z ?? 1`, int64(1)},
		{`n > 3 ? "big" : "small"`, "big"},
		// environment and results
		{`j.a.b + 1`, int64(3)},
		{`j.tags[1]`, "y"},
		{`d * 2`, 3.0},
		{`num + 1`, int64(8)},
		{`{"x": n, "l": [1, 2]}`, record.JSON(`{"l":[1,2],"x":5}`)},
		{`year * 2`, int64(4040)},    // a column named like a function
		{`length + "!"`, "len!"},     // likewise
		{`year(t) - year`, int64(4)}, // both in one expression
		{`len(s)`, int64(11)},        // expr's builtins remain
		{`n / 2`, 2.5},
		{`n % 2 == 1`, true},
		{`let x = n * 2; x + 1`, int64(11)},
	}
	c := mustBind(t, funcCols, specDerive("out", "z"), specDerive(func() []string {
		var pairs []string
		for i, tt := range tests {
			pairs = append(pairs, "c"+string(rune('a'+i/26))+string(rune('a'+i%26)), tt.expr)
		}
		return pairs
	}()...))
	r := apply(c, funcRow...)
	if r.outcome != Kept {
		t.Fatalf("Apply = %v %+v", r.outcome, r.reject)
	}
	got := r.row[len(funcCols)+1:]
	for i, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if !reflect.DeepEqual(got[i], tt.want) {
				t.Errorf("%s = %#v (%T), want %#v (%T)", tt.expr, got[i], got[i], tt.want, tt.want)
			}
		})
	}
}

func TestFunctionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, reason string }{
		{`substr(s, 1, -1)`, "substr: length must not be negative, got -1"},
		{`substr(s, f)`, "substr: start must be an integer, got 2.5 (double)"},
		{`to_number("x")`, `to_number: cannot cast "x" to double`},
		{`to_int("x")`, `to_int: cannot cast "x" to bigint`},
		{`abs(s)`, `abs: expects a number, got "Hello World"`},
		{`least(1, "a")`, `least: cannot compare "a" with 1 (bigint)`},
		{`year("soon")`, `year: expects a date or timestamp, got "soon"`},
		{`parse_date("bad", "%d/%m/%Y")`, `parse_date: "bad" does not match date('%d/%m/%Y')`},
		{`parse_date("2024-03-09 10:00")`, `parse_date: cannot cast "2024-03-09 10:00" to date: it has a time of day`},
		{`split_part(s, " ", 0)`, "split_part: field number must not be 0"},
		{`lpad(s, 99999999)`, "lpad: length 99999999 is too large (at most 1048576)"},
		{`regex_match(s, trim("["))`, `regex_match: invalid regex "[": missing closing ]`},
		{`n + z`, "invalid operation: bigint + null"},
		{`s > 1`, "invalid operation: text > bigint"},
		{`1 / (n - 5)`, "result is not a finite number (division by zero?)"},
		{`upper(j)`, `upper: expects text, got json {"a":{"b":2},"tags":["x","y"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			c := mustBind(t, funcCols, specDerive("out", tt.expr))
			r := apply(c, funcRow...)
			want := &Reject{Column: "out", Reason: tt.reason}
			if r.outcome != Rejected || !reflect.DeepEqual(r.reject, want) {
				t.Errorf("Apply = %v %+v, want Rejected %+v", r.outcome, r.reject, want)
			}
		})
	}
}

func TestNowIsFixedPerProgram(t *testing.T) {
	t.Parallel()
	before := time.Now().UTC()
	c := mustBind(t, []string{"a"}, specDerive("now", "now()", "today", "today()"))
	r1 := apply(c, "x")
	time.Sleep(2 * time.Millisecond)
	r2 := apply(c, "y")
	now := r1.row[1].(time.Time)
	if !now.Equal(r2.row[1].(time.Time)) || now.Before(before.Truncate(time.Microsecond)) || now.Location() != time.UTC {
		t.Errorf("now() = %v then %v; want one instant after %v, in UTC", now, r2.row[1], before)
	}
	if today := r1.row[2].(time.Time); !today.Equal(now.Truncate(24 * time.Hour)) {
		t.Errorf("today() = %v, want the date of %v", today, now)
	}
}

func TestDeriveColumnTypes(t *testing.T) {
	t.Parallel()
	c := mustBind(t, []string{"a", "b"},
		specCast(t, "b", "bigint"),
		specDerive("u", "upper(a)", "gt", "b > 1", "len", "length(a)", "num", "to_number(a)", "any", "b * 2", "ts", "now()", "b", "a"))
	want := []record.Column{
		{Name: "a"},
		{Name: "b"}, // overwritten by a derive of unknown type
		{Name: "u", Type: record.Text},
		{Name: "gt", Type: record.Boolean},
		{Name: "len", Type: record.Bigint},
		{Name: "num", Type: record.Double},
		{Name: "any"},
		{Name: "ts"},
	}
	if got := c.Columns(); !reflect.DeepEqual(got, want) {
		t.Errorf("Columns() =\n%v\nwant\n%v", got, want)
	}
}
