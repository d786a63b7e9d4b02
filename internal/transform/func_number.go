package transform

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-data/sluice/internal/record"
)

// numberFuncs are the numeric functions. They keep integers integral: abs, round,
// floor and ceil of a bigint are a bigint, of a double a double.
func numberFuncs() []*function {
	return []*function{
		{name: "abs", min: 1, max: 1, call: func(a []any) (any, error) {
			switch x := num(a[0]).(type) {
			case int64:
				if x == math.MinInt64 {
					return nil, fmt.Errorf("abs: %d is out of range", x)
				}
				if x < 0 {
					return -x, nil
				}
				return x, nil
			case float64:
				return math.Abs(x), nil
			}
			return nil, notNumber("abs", a[0])
		}},
		{name: "round", min: 1, max: 2, call: round},
		{name: "floor", min: 1, max: 1, call: func(a []any) (any, error) { return integral("floor", a[0], math.Floor) }},
		{name: "ceil", min: 1, max: 1, call: func(a []any) (any, error) { return integral("ceil", a[0], math.Ceil) }},
		{name: "to_number", min: 1, max: 1, types: []any{new(func(any) float64)}, call: func(a []any) (any, error) {
			v, err := record.Convert(a[0], record.Double)
			if err != nil {
				return nil, fmt.Errorf("to_number: %w", err)
			}
			return v, nil
		}},
		{name: "to_int", min: 1, max: 1, types: []any{new(func(any) int64)}, call: toInt},
		{name: "least", min: 1, max: -1, nulls: true, call: func(a []any) (any, error) { return extreme("least", a, -1) }},
		{name: "greatest", min: 1, max: -1, nulls: true, call: func(a []any) (any, error) { return extreme("greatest", a, 1) }},
	}
}

// num normalises a numeric argument to int64 or float64; other values pass.
func num(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}

func notNumber(fn string, v any) error {
	return fmt.Errorf("%s: expects a number, got %s", fn, describe(v))
}

// round(x[, digits]) rounds half away from zero on the number's shortest
// decimal text, so round(2.675, 2) is 2.68 as a person expects, not 2.67 as
// binary arithmetic gives. Negative digits round to tens, hundreds, ….
func round(a []any) (any, error) {
	digits := 0
	if len(a) == 2 {
		var err error
		if digits, err = integer("round", "digits", a[1]); err != nil {
			return nil, err
		}
	}
	switch x := num(a[0]).(type) {
	case int64:
		if digits >= 0 {
			return x, nil
		}
		if digits < -18 {
			return int64(0), nil
		}
		p := int64(math.Pow10(-digits))
		q, r := x/p, x%p
		if 2*abs64(r) >= p {
			if x < 0 {
				q--
			} else {
				q++
			}
		}
		return q * p, nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return x, nil
		}
		if digits < 0 {
			p := math.Pow10(-digits)
			return math.Round(x/p) * p, nil
		}
		if digits > 17 {
			return x, nil
		}
		d, err := record.Convert(strconv.FormatFloat(x, 'f', -1, 64), record.Type{Kind: record.KindDecimal, Precision: 38, Scale: digits})
		if err != nil { // too many integer digits for a decimal: binary rounding is exact enough there
			p := math.Pow10(digits)
			return math.Round(x*p) / p, nil
		}
		return strconv.ParseFloat(string(d.(record.Decimal)), 64)
	}
	return nil, notNumber("round", a[0])
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func integral(fn string, v any, f func(float64) float64) (any, error) {
	switch x := num(v).(type) {
	case int64:
		return x, nil
	case float64:
		return f(x), nil
	}
	return nil, notNumber(fn, v)
}

// to_int(x) returns x as a bigint: text in integer syntax, or any number
// truncated toward zero (as Python's int()).
func toInt(a []any) (any, error) {
	var f float64
	switch x := num(a[0]).(type) {
	case int64:
		return x, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		f = x
	case string:
		if v, err := record.Convert(x, record.Bigint); err == nil {
			return v, nil
		}
		v, err := record.Convert(x, record.Double)
		if err != nil {
			return nil, fmt.Errorf("to_int: cannot cast %q to bigint", cut(strings.TrimSpace(x)))
		}
		f = v.(float64)
	default:
		return nil, notNumber("to_int", a[0])
	}
	t := math.Trunc(f)
	if math.IsNaN(t) || t < -9.223372036854775808e18 || t >= 9.223372036854775808e18 {
		return nil, fmt.Errorf("to_int: %s is out of range for bigint", record.String(f))
	}
	return int64(t), nil
}

// extreme implements least (sign -1) and greatest (sign 1). Nulls are ignored,
// as in PostgreSQL; numbers compare with numbers, text with text, times with
// times.
func extreme(fn string, a []any, sign int) (any, error) {
	var best any
	for _, v := range a {
		v = num(v)
		if v == nil {
			continue
		}
		if best == nil {
			switch v.(type) {
			case int64, float64, string, time.Time:
				best = v
				continue
			}
			return nil, fmt.Errorf("%s: cannot compare %s", fn, describe(v))
		}
		c, ok := compareValues(v, best)
		if !ok {
			return nil, fmt.Errorf("%s: cannot compare %s with %s", fn, describe(v), describe(best))
		}
		if c*sign > 0 {
			best = v
		}
	}
	return best, nil
}

// compareValues orders two scalars of comparable kinds.
func compareValues(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < y, x > y), true
		case float64:
			return cmp3(float64(x) < y, float64(x) > y), true
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < float64(y), x > float64(y)), true
		case float64:
			return cmp3(x < y, x > y), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp3(!x && y, x && !y), true
		}
	}
	return 0, false
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}
