package schedule

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	cases := []struct {
		expr, after string
		want        []string // successive firings
	}{
		// EventBridge's documented examples.
		{"cron(0 10 * * ? *)", "2026-11-28 09:00", []string{"2026-11-28 10:00", "2026-11-29 10:00"}},
		{"cron(15 12 * * ? *)", "2026-11-28 12:15", []string{"2026-11-29 12:15"}},
		{"cron(0 18 ? * MON-FRI *)", "2026-11-27 18:00", []string{"2026-11-30 18:00", "2026-12-01 18:00"}}, // Fri → Mon
		{"cron(0 8 1 * ? *)", "2026-11-28 00:00", []string{"2026-12-01 08:00", "2027-01-01 08:00"}},
		{"cron(0/15 * * * ? *)", "2026-11-28 10:07", []string{"2026-11-28 10:15", "2026-11-28 10:30", "2026-11-28 10:45", "2026-11-28 11:00"}},
		{"cron(0/10 * ? * MON-FRI *)", "2026-11-28 10:07", []string{"2026-11-30 00:00", "2026-11-30 00:10"}}, // Saturday
		{"cron(0/5 8-17 ? * MON-FRI *)", "2026-11-30 17:55", []string{"2026-12-01 08:00", "2026-12-01 08:05"}},
		{"cron(0 9 ? * 2#1 *)", "2026-11-28 00:00", []string{"2026-12-07 09:00", "2027-01-04 09:00"}}, // first Monday
		// L, LW, W, nL.
		{"cron(0 0 L * ? *)", "2026-11-28 00:00", []string{"2026-11-30 00:00", "2026-12-31 00:00", "2027-01-31 00:00", "2027-02-28 00:00"}},
		{"cron(0 0 L 2 ? *)", "2027-03-01 00:00", []string{"2028-02-29 00:00"}}, // leap year
		{"cron(0 0 LW * ? *)", "2026-01-01 00:00", []string{"2026-01-30 00:00", "2026-02-27 00:00", "2026-03-31 00:00", "2026-04-30 00:00", "2026-05-29 00:00"}},
		{"cron(0 0 15W * ? *)", "2026-11-01 00:00", []string{"2026-11-16 00:00", "2026-12-15 00:00", "2027-01-15 00:00", "2027-02-15 00:00", "2027-03-15 00:00", "2027-04-15 00:00", "2027-05-14 00:00"}},
		{"cron(0 0 1W * ? *)", "2026-08-01 00:00", []string{"2026-08-03 00:00", "2026-09-01 00:00"}}, // Sat 1 Aug → Mon 3rd
		{"cron(0 0 ? * 6L *)", "2026-11-01 00:00", []string{"2026-11-27 00:00", "2026-12-25 00:00"}}, // last Friday
		{"cron(0 0 ? * L *)", "2026-11-26 00:00", []string{"2026-11-28 00:00", "2026-12-05 00:00"}},  // L = Saturday
		// Day numbering: 1 = Sunday.
		{"cron(30 6 ? * 1 *)", "2026-11-28 00:00", []string{"2026-11-29 06:30", "2026-12-06 06:30"}},
		{"cron(0 12 ? * SUN,SAT *)", "2026-11-28 12:00", []string{"2026-11-29 12:00", "2026-12-05 12:00"}},
		// Months, years, lists, ranges with steps.
		{"cron(0 0 1 JAN,JUL ? *)", "2026-11-28 00:00", []string{"2027-01-01 00:00", "2027-07-01 00:00"}},
		{"cron(0 0 29 2 ? 2027-2030)", "2026-01-01 00:00", []string{"2028-02-29 00:00", "0001-01-01 00:00"}},
		{"cron(5,35 1-5/2 * * ? *)", "2026-11-28 01:05", []string{"2026-11-28 01:35", "2026-11-28 03:05", "2026-11-28 03:35", "2026-11-28 05:05", "2026-11-28 05:35", "2026-11-29 01:05"}},
		{"cron(0 0 31 2 ? *)", "2026-01-01 00:00", []string{"0001-01-01 00:00"}},
		{"cron(0 0 1 1 ? 2020)", "2026-01-01 00:00", []string{"0001-01-01 00:00"}},
		{"cron(59 23 31 12 ? *)", "2026-12-31 23:58", []string{"2026-12-31 23:59", "2027-12-31 23:59"}},
	}
	for _, c := range cases {
		s, err := Parse(c.expr, time.Time{})
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		cur := at(c.after)
		for _, w := range c.want {
			got := s.Next(cur)
			want := at(w)
			if w == "0001-01-01 00:00" {
				want = time.Time{}
			}
			if !got.Equal(want) {
				t.Errorf("%s after %s: %s, want %s", c.expr, cur.Format("2006-01-02 15:04 Mon"), got.Format("2006-01-02 15:04 Mon"), want.Format("2006-01-02 15:04 Mon"))
				break
			}
			cur = got
		}
	}
}

func TestRate(t *testing.T) {
	anchor := at("2026-11-28 10:00")
	s, err := Parse("rate(15 minutes)", anchor)
	if err != nil {
		t.Fatal(err)
	}
	for after, want := range map[string]string{"2026-11-28 09:00": "2026-11-28 10:00", "2026-11-28 10:00": "2026-11-28 10:15", "2026-11-28 10:14": "2026-11-28 10:15", "2026-11-28 11:59": "2026-11-28 12:00"} {
		if got := s.Next(at(after)); !got.Equal(at(want)) {
			t.Errorf("after %s: %s, want %s", after, got, want)
		}
	}
	d, _ := Parse("rate(1 day)", anchor)
	if got := d.Next(anchor); !got.Equal(at("2026-11-29 10:00")) {
		t.Errorf("rate(1 day): %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"cron(0 10 * * * *)":     "?",
		"cron(0 10 * *)":         "6 fields",
		"cron(61 10 * * ? *)":    "minutes",
		"cron(0 10 * * ? 1969)":  "year",
		"rate(0 minutes)":        "at least 1",
		"rate(5 minute)":         "plural",
		"every day":              "not a schedule",
		"cron(0 10 ? * 8 *)":     "day-of-week",
		"cron(0 10 ? * MON#6 *)": "day-of-week",
	} {
		_, err := Parse(expr, time.Time{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error about %q", expr, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"cron(0 10 * * ? *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0 0 LW * ? *)", "cron(0 9 ? * 2#1 *)", "rate(5 minutes)", "cron(0 0 15W 1-12/3 ? 2030-2040/2)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return
		}
		after := time.Date(2026, 11, 28, 10, 7, 0, 0, time.UTC)
		if n := s.Next(after); !n.IsZero() && !n.After(after) {
			t.Fatalf("%s: next %s is not after %s", expr, n, after)
		}
	})
}
