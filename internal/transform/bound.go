package transform

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/sluice-data/sluice/internal/record"
	"github.com/sluice-data/sluice/internal/timefmt"
)

// bound is the limit of a min or max rule, prepared for each way a value may
// compare with it: numbers numerically (exactly for decimals), dates and
// timestamps as instants when the bound is ISO 8601 text, anything else by text.
type bound struct {
	text   string
	num    *big.Rat // nil when the bound is not a number
	f      float64
	i      int64
	isInt  bool
	t      time.Time
	isTime bool
}

func newBound(v any) (*bound, error) {
	b := &bound{}
	switch x := v.(type) {
	case int64:
		b.i, b.isInt = x, true
		b.num = new(big.Rat).SetInt64(x)
	case int:
		b.i, b.isInt = int64(x), true
		b.num = new(big.Rat).SetInt64(int64(x))
	case float64:
		b.num = new(big.Rat)
		if b.num.SetFloat64(x) == nil {
			return nil, fmt.Errorf("bound %v is not a finite number", x)
		}
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(x)); ok {
			b.num = r
		}
	case string:
		if t, _, ok := timefmt.ParseISO(x); ok {
			b.t, b.isTime = t, true
		} else if f, err := record.Convert(x, record.Double); err == nil {
			b.num = new(big.Rat).SetFloat64(f.(float64))
		}
	case time.Time:
		b.t, b.isTime = x.UTC(), true
	default:
		return nil, fmt.Errorf("bound must be a number, a date or text, not %v", v)
	}
	b.text = record.String(v)
	if b.num != nil {
		b.f, _ = b.num.Float64()
	}
	return b, nil
}

// compare orders v against the bound.
func (b *bound) compare(v any) int {
	switch x := v.(type) {
	case int64:
		if b.isInt {
			return cmp3(x < b.i, x > b.i)
		}
		if b.num != nil {
			return new(big.Rat).SetInt64(x).Cmp(b.num)
		}
	case float64:
		if b.num != nil {
			return cmp3(x < b.f, x > b.f)
		}
	case record.Decimal, json.Number:
		if b.num == nil {
			break
		}
		s := record.String(x)
		if strings.ContainsAny(s, "eE") { // an exponent can make exact arithmetic slow: compare as doubles
			if f, err := record.Convert(x, record.Double); err == nil {
				return cmp3(f.(float64) < b.f, f.(float64) > b.f)
			}
			break
		}
		if r, ok := new(big.Rat).SetString(s); ok {
			return r.Cmp(b.num)
		}
	case time.Time:
		if b.isTime {
			return x.Compare(b.t)
		}
	case string:
		if b.isTime {
			if t, _, ok := timefmt.ParseISO(strings.TrimSpace(x)); ok {
				return t.Compare(b.t)
			}
		}
		if b.num != nil {
			if f, err := record.Convert(x, record.Double); err == nil {
				return cmp3(f.(float64) < b.f, f.(float64) > b.f)
			}
		}
	}
	return strings.Compare(record.String(v), b.text)
}
