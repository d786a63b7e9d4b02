package transform

import (
	"testing"

	"github.com/sluice-data/sluice/internal/spec"
)

// benchRow is a typical CSV row: every value is text.
var (
	benchCols = []string{"Order ID", "Amount", "Ordered At", "Country", "Email"}
	benchRow  = []any{"1234567", "1234.56", "2024-03-09 14:05:07", " de ", "a@example.com"}
)

func benchApply(b *testing.B, steps ...spec.Step) {
	c := mustBind(b, benchCols, steps...)
	out := make([]any, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		if o, rej := c.Apply(benchRow, &out); o != Kept {
			b.Fatalf("Apply = %v %+v", o, rej)
		}
	}
}

func BenchmarkApply(b *testing.B) {
	b.Run("rename+select", func(b *testing.B) {
		benchApply(b, specRename("Order ID", "id"), specSelect("id", "amount", "country"))
	})
	b.Run("cast", func(b *testing.B) {
		benchApply(b, specCast(b, "order_id", "bigint", "amount", "decimal(12,2)", "ordered_at", "timestamp('%Y-%m-%d %H:%M:%S')"))
	})
	b.Run("cast+derive+filter", func(b *testing.B) {
		benchApply(b,
			specCast(b, "order_id", "bigint", "amount", "decimal(12,2)", "ordered_at", "timestamp('%Y-%m-%d %H:%M:%S')"),
			specDerive("amount_eur", "amount * 0.92", "country", "upper(trim(country))"),
			specFilter("amount > 0"))
	})
	b.Run("validate", func(b *testing.B) {
		benchApply(b, specValidate("email", spec.Rule{Kind: "not_null"}, spec.Rule{Kind: "regex", Regex: `^[^@]+@[^@]+$`}))
	})
}
