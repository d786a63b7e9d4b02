package timefmt

import (
	"testing"
	"time"
)

func TestParseISO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
		kind ISOKind
	}{
		{"2024-03-09", utc(2024, 3, 9, 0, 0, 0, 0), ISODate},
		{"2024-03-09T10:11:12", utc(2024, 3, 9, 10, 11, 12, 0), ISODateTime},
		{"2024-03-09 10:11:12", utc(2024, 3, 9, 10, 11, 12, 0), ISODateTime},
		{"2024-03-09T10:11", utc(2024, 3, 9, 10, 11, 0, 0), ISODateTime},
		{"2024-03-09T10:11:12.5", utc(2024, 3, 9, 10, 11, 12, 500000000), ISODateTime},
		{"2024-03-09T10:11:12,123456789", utc(2024, 3, 9, 10, 11, 12, 123456789), ISODateTime},
		{"2024-03-09T10:11:12Z", utc(2024, 3, 9, 10, 11, 12, 0), ISOZoned},
		{"2024-03-09t10:11:12z", utc(2024, 3, 9, 10, 11, 12, 0), ISOZoned},
		{"2024-03-09T10:11:12+02:00", utc(2024, 3, 9, 8, 11, 12, 0), ISOZoned},
		{"2024-03-09T10:11:12-0130", utc(2024, 3, 9, 11, 41, 12, 0), ISOZoned},
		{"2024-03-09 00:30:00+01", utc(2024, 3, 8, 23, 30, 0, 0), ISOZoned},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, kind, ok := ParseISO(tt.in)
			if !ok || !got.Equal(tt.want) || kind != tt.kind || got.Location() != time.UTC {
				t.Errorf("ParseISO(%q) = %v, %v, %v; want %v, %v", tt.in, got, kind, ok, tt.want, tt.kind)
			}
		})
	}
	for _, bad := range []string{"", "2024", "2024-3-09", "2024-13-01", "2023-02-29", "2024-03-09T", "2024-03-09T10",
		"2024-03-09T24:00:00", "2024-03-09T10:60", "2024-03-09T10:11:12.", "2024-03-09T10:11:12+2", "2024-03-09T10:11:12+02:",
		"2024-03-09X10:11", "2024-03-09T10:11:12Z ", "+2024-03-09", "2024-03-09 ", "abcd-ef-gh"} {
		t.Run("bad "+bad, func(t *testing.T) {
			t.Parallel()
			if got, kind, ok := ParseISO(bad); ok {
				t.Errorf("ParseISO(%q) = %v, %v; want not ok", bad, got, kind)
			}
		})
	}
}
