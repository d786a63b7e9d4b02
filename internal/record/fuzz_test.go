package record

import (
	"math/big"
	"strings"
	"testing"
)

// FuzzDecimal converts arbitrary text to decimal(p,s): no input may panic, and
// a result must be canonical (converting it again gives it back) and within
// half a unit of the last place of the input's exact value.
func FuzzDecimal(f *testing.F) {
	f.Add("12.345", 10, 2)
	f.Add("-0.005", 5, 2)
	f.Add("9.9999e3", 6, 1)
	f.Add("1e-40", 38, 38)
	f.Add(".5", 1, 0)
	f.Fuzz(func(t *testing.T, s string, p, sc int) {
		p = 1 + abs(p)%38
		sc = abs(sc) % (p + 1)
		typ := Type{Kind: KindDecimal, Precision: p, Scale: sc}
		v, err := Convert(s, typ)
		if err != nil {
			return
		}
		d := v.(Decimal)
		again, err := Convert(string(d), typ)
		if err != nil || again != d {
			t.Fatalf("Convert(%q) = %q, but converting that gives %v, %v", s, d, again, err)
		}
		if i := strings.IndexAny(s, "eE"); i >= 0 && len(s)-i > 4 {
			return // big.Rat would spend long on a huge exponent
		}
		in, ok := new(big.Rat).SetString(s)
		out, ok2 := new(big.Rat).SetString(string(d))
		if !ok || !ok2 {
			return // syntax big.Rat does not share (such as a leading '+' with exponent)
		}
		diff := new(big.Rat).Sub(in, out)
		diff.Abs(diff)
		half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(2), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(sc)), nil)))
		if diff.Cmp(half) > 0 {
			t.Fatalf("Convert(%q, %v) = %q, off by %v", s, typ, d, diff.FloatString(sc+2))
		}
	})
}

func abs(x int) int {
	if x < 0 {
		if x == -x { // math.MinInt
			return 0
		}
		return -x
	}
	return x
}
