package transform

import (
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"order_id", "order_id"},
		{"Order ID", "order_id"},
		{"orderDate", "order_date"},
		{"OrderID", "order_id"},
		{"Total (EUR)", "total_eur"},
		{"HTTPServer", "http_server"},
		{"item2Name", "item2_name"},
		{"address1", "address1"},
		{"  --a--b--  ", "a_b"},
		{"2024 sales", "c_2024_sales"},
		{"ÄndertAm", "ändert_am"},
		{"e-mail", "e_mail"},
		{"ID", "id"},
		{"!!!", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSourceNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  []string
		keep map[string]bool
		want []string
	}{
		{"normalised", []string{"Order ID", "orderDate"}, nil, []string{"order_id", "order_date"}},
		{"duplicates get suffixes", []string{"a b", "a_b", "A B"}, nil, []string{"a_b", "a_b_2", "a_b_3"}},
		{"suffix collides with a real name", []string{"a", "a", "a_2"}, nil, []string{"a", "a_2", "a_2_2"}},
		{"empty gets its position", []string{"x", "", "??"}, nil, []string{"x", "column_2", "column_3"}},
		{"renamed source kept as written", []string{"Order ID", "Total"}, map[string]bool{"Order ID": true}, []string{"Order ID", "total"}},
		{"kept name wins over a normalised one", []string{"Total", "total"}, map[string]bool{"total": true}, []string{"total_2", "total"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := sourceNames(tt.raw, tt.keep); !slices.Equal(got, tt.want) {
				t.Errorf("sourceNames(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}
