package transform

import (
	"fmt"
	"time"

	"github.com/sluice-data/sluice/internal/record"
)

// timeFuncs are the date and time functions. Their date arguments take a date or
// timestamp value, or ISO 8601 text; results are in UTC.
func timeFuncs(l *library) []*function {
	part := func(name string, f func(time.Time) int) *function {
		return &function{name: name, min: 1, max: 1, types: []any{new(func(any) int)}, call: func(a []any) (any, error) {
			t, err := timeArg(name, a[0])
			if err != nil {
				return nil, err
			}
			return int64(f(t)), nil
		}}
	}
	parse := func(name string, kind record.Kind) *function {
		return &function{name: name, min: 1, max: 2, types: []any{new(func(string) time.Time), new(func(string, string) time.Time)},
			call: func(a []any) (any, error) {
				s, err := text(name, a[0])
				if err != nil {
					return nil, err
				}
				typ := record.Type{Kind: kind}
				if len(a) == 2 {
					if typ.Format, err = text(name, a[1]); err != nil {
						return nil, err
					}
				}
				v, err := record.Convert(s, typ)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				return v, nil
			}}
	}
	return []*function{
		{name: "now", max: 0, types: []any{new(func() time.Time)}, call: func([]any) (any, error) { return l.now, nil }},
		{name: "today", max: 0, types: []any{new(func() time.Time)}, call: func([]any) (any, error) {
			return l.now.Truncate(24 * time.Hour), nil
		}},
		part("year", time.Time.Year),
		part("month", func(t time.Time) int { return int(t.Month()) }),
		part("day", time.Time.Day),
		part("hour", time.Time.Hour),
		part("minute", time.Time.Minute),
		part("second", time.Time.Second),
		{name: "date_trunc", min: 2, max: 2, types: []any{new(func(string, any) time.Time)}, call: func(a []any) (any, error) {
			unit, err := text("date_trunc", a[0])
			if err != nil {
				return nil, err
			}
			t, err := timeArg("date_trunc", a[1])
			if err != nil {
				return nil, err
			}
			return truncate(t, unit)
		}},
		{name: "add_days", min: 2, max: 2, types: []any{new(func(any, int) time.Time)}, call: func(a []any) (any, error) {
			t, err := timeArg("add_days", a[0])
			if err != nil {
				return nil, err
			}
			n, err := integer("add_days", "days", a[1])
			if err != nil {
				return nil, err
			}
			return t.AddDate(0, 0, n), nil
		}},
		{name: "days_between", min: 2, max: 2, types: []any{new(func(any, any) int)}, call: func(a []any) (any, error) {
			from, err := timeArg("days_between", a[0])
			if err != nil {
				return nil, err
			}
			to, err := timeArg("days_between", a[1])
			if err != nil {
				return nil, err
			}
			return civilDay(to) - civilDay(from), nil
		}},
		parse("parse_date", record.KindDate),
		parse("parse_timestamp", record.KindTimestamp),
		{name: "format_time", min: 2, max: 2, types: []any{new(func(any, string) string)}, call: func(a []any) (any, error) {
			t, err := timeArg("format_time", a[0])
			if err != nil {
				return nil, err
			}
			f, err := text("format_time", a[1])
			if err != nil {
				return nil, err
			}
			lay, err := l.layout(f)
			if err != nil {
				return nil, fmt.Errorf("format_time: %w", err)
			}
			return lay.Format(t), nil
		}},
	}
}

// civilDay is the number of calendar days since 1970-01-01 of t's UTC date.
func civilDay(t time.Time) int64 {
	u := t.Unix()
	d := u / 86400
	if u%86400 < 0 {
		d--
	}
	return d
}

// truncate implements date_trunc: the start of t's year, quarter, month, ISO
// week (Monday), day, hour, minute or second.
func truncate(t time.Time, unit string) (time.Time, error) {
	y, m, d := t.Date()
	switch unit {
	case "year":
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), nil
	case "quarter":
		return time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC), nil
	case "month":
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), nil
	case "week":
		back := (int(t.Weekday()) + 6) % 7
		return time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC), nil
	case "day":
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case "hour":
		return t.Truncate(time.Hour), nil
	case "minute":
		return t.Truncate(time.Minute), nil
	case "second":
		return t.Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("date_trunc: unknown unit %q (units: year, quarter, month, week, day, hour, minute, second)", unit)
}
