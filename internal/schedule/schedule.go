// Package schedule computes when EventBridge schedule expressions fire, so that
// `sluice serve` runs a pipeline's schedule: locally exactly when EventBridge
// would in AWS: rate(N unit) and cron(minutes hours day-of-month month
// day-of-week year) with ? L W # and names, in UTC.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-data/sluice/internal/spec"
)

// Schedule says when a schedule next fires.
type Schedule interface {
	// Next returns the first firing strictly after t (UTC), or the zero time if
	// there is none (a cron limited to past years).
	Next(t time.Time) time.Time
	String() string
}

// Parse parses an EventBridge schedule expression. A rate counts from anchor
// (EventBridge counts from the rule's creation; the local scheduler from its
// start).
func Parse(expr string, anchor time.Time) (Schedule, error) {
	if err := spec.CheckSchedule(expr); err != nil {
		return nil, err
	}
	if body, ok := strings.CutPrefix(expr, "rate("); ok {
		f := strings.Fields(strings.TrimSuffix(body, ")"))
		n, _ := strconv.Atoi(f[0])
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(f[1], "s")]
		return &Rate{Every: time.Duration(n) * unit, Anchor: anchor.UTC().Truncate(time.Minute), expr: expr}, nil
	}
	return parseCron(expr)
}

// Rate fires every Every from Anchor.
type Rate struct {
	Every  time.Duration
	Anchor time.Time
	expr   string
}

// Next implements Schedule.
func (r *Rate) Next(t time.Time) time.Time {
	if t.Before(r.Anchor) {
		return r.Anchor
	}
	k := t.Sub(r.Anchor)/r.Every + 1
	return r.Anchor.Add(k * r.Every)
}

func (r *Rate) String() string { return r.expr }

// Cron is a parsed cron(…) expression.
type Cron struct {
	expr           string
	minutes, hours uint64 // bit i: minute/hour i
	months         uint16 // bit m: month m (1-12)
	years          map[int]bool
	anyYear        bool
	dom            *dayOfMonth // nil: ?
	dow            *dayOfWeek  // nil: ?
	lastYear       int
}

type dayOfMonth struct {
	days     uint32 // bit d: day d
	last     bool   // L
	lastWeek bool   // LW
	nearest  []int  // nW
}

type dayOfWeek struct {
	days uint8    // bit w: weekday w (1 = Sunday … 7 = Saturday)
	last []int    // nL: last weekday n of the month
	nth  [][2]int // n#k: k-th weekday n of the month
}

var monthNames = strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")
var dayNames = strings.Fields("SUN MON TUE WED THU FRI SAT")

func parseCron(expr string) (*Cron, error) {
	f := strings.Fields(strings.ToUpper(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")")))
	c := &Cron{expr: expr}
	var err error
	if c.minutes, err = bits(f[0], 0, 59, nil); err != nil {
		return nil, fmt.Errorf("%s: minutes: %w", expr, err)
	}
	if c.hours, err = bits(f[1], 0, 23, nil); err != nil {
		return nil, fmt.Errorf("%s: hours: %w", expr, err)
	}
	m, err := bits(f[3], 1, 12, monthNames)
	if err != nil {
		return nil, fmt.Errorf("%s: month: %w", expr, err)
	}
	c.months = uint16(m)
	if f[5] == "*" {
		c.anyYear, c.lastYear = true, 2199
	} else {
		c.years = map[int]bool{}
		for _, item := range strings.Split(f[5], ",") {
			lo, hi, step, err := rangeOf(item, 1970, 2199, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: year: %w", expr, err)
			}
			for y := lo; y <= hi; y += step {
				c.years[y] = true
				c.lastYear = max(c.lastYear, y)
			}
		}
	}
	if f[2] != "?" {
		c.dom = &dayOfMonth{}
		for _, item := range strings.Split(f[2], ",") {
			switch {
			case item == "L":
				c.dom.last = true
			case item == "LW":
				c.dom.lastWeek = true
			case strings.HasSuffix(item, "W"):
				n, err := strconv.Atoi(strings.TrimSuffix(item, "W"))
				if err != nil || n < 1 || n > 31 {
					return nil, fmt.Errorf("%s: day-of-month: %q is not nW with n from 1 to 31", expr, item)
				}
				c.dom.nearest = append(c.dom.nearest, n)
			default:
				b, err := bits(item, 1, 31, nil)
				if err != nil {
					return nil, fmt.Errorf("%s: day-of-month: %w", expr, err)
				}
				c.dom.days |= uint32(b)
			}
		}
	}
	if f[4] != "?" {
		c.dow = &dayOfWeek{}
		for _, item := range strings.Split(f[4], ",") {
			switch {
			case item == "L":
				c.dow.days |= 1 << 7
			case strings.HasSuffix(item, "L"):
				n, err := dayNumber(strings.TrimSuffix(item, "L"))
				if err != nil {
					return nil, fmt.Errorf("%s: day-of-week: %w", expr, err)
				}
				c.dow.last = append(c.dow.last, n)
			case strings.Contains(item, "#"):
				a, b, _ := strings.Cut(item, "#")
				n, err := dayNumber(a)
				k, err2 := strconv.Atoi(b)
				if err != nil || err2 != nil || k < 1 || k > 5 {
					return nil, fmt.Errorf("%s: day-of-week: %q is not n#k with k from 1 to 5", expr, item)
				}
				c.dow.nth = append(c.dow.nth, [2]int{n, k})
			default:
				b, err := bits(item, 1, 7, dayNames)
				if err != nil {
					return nil, fmt.Errorf("%s: day-of-week: %w", expr, err)
				}
				c.dow.days |= uint8(b)
			}
		}
	}
	return c, nil
}

func dayNumber(s string) (int, error) {
	for i, n := range dayNames {
		if s == n {
			return i + 1, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 7 {
		return 0, fmt.Errorf("%q is not a day of the week (1-7 or SUN-SAT)", s)
	}
	return n, nil
}

// bits parses a comma-separated list of *, values, ranges and steps.
func bits(field string, lo, hi int, names []string) (uint64, error) {
	var b uint64
	for _, item := range strings.Split(field, ",") {
		a, z, step, err := rangeOf(item, lo, hi, names)
		if err != nil {
			return 0, err
		}
		for v := a; v <= z; v += step {
			b |= 1 << v
		}
	}
	return b, nil
}

func rangeOf(item string, lo, hi int, names []string) (int, int, int, error) {
	step := 1
	if base, s, ok := strings.Cut(item, "/"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, 0, 0, fmt.Errorf("%q: the step after / must be a whole number of at least 1", item)
		}
		item, step = base, n
		if !strings.Contains(item, "-") && item != "*" {
			v, err := value(item, lo, hi, names)
			if err != nil {
				return 0, 0, 0, err
			}
			return v, hi, step, nil
		}
	}
	if item == "*" {
		return lo, hi, step, nil
	}
	if a, z, ok := strings.Cut(item, "-"); ok {
		x, err := value(a, lo, hi, names)
		if err != nil {
			return 0, 0, 0, err
		}
		y, err := value(z, lo, hi, names)
		if err != nil {
			return 0, 0, 0, err
		}
		if y < x {
			return 0, 0, 0, fmt.Errorf("%q: the range ends before it starts", item)
		}
		return x, y, step, nil
	}
	v, err := value(item, lo, hi, names)
	return v, v, step, err
}

func value(s string, lo, hi int, names []string) (int, error) {
	for i, n := range names {
		if s == n {
			return lo + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
	}
	return v, nil
}

func (c *Cron) String() string { return c.expr }

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

// dayMatches reports whether the cron fires on the date.
func (c *Cron) dayMatches(d time.Time) bool {
	y, m, day := d.Date()
	if c.dom != nil {
		n := daysIn(y, m)
		ok := c.dom.days&(1<<day) != 0 || (c.dom.last && day == n)
		if c.dom.lastWeek {
			lw := n
			for wd := time.Date(y, m, lw, 0, 0, 0, 0, time.UTC).Weekday(); wd == time.Saturday || wd == time.Sunday; wd = time.Date(y, m, lw, 0, 0, 0, 0, time.UTC).Weekday() {
				lw--
			}
			ok = ok || day == lw
		}
		for _, w := range c.dom.nearest {
			ok = ok || day == nearestWeekday(y, m, w)
		}
		if !ok {
			return false
		}
	}
	if c.dow != nil {
		wd := int(d.Weekday()) + 1
		ok := c.dow.days&(1<<wd) != 0
		for _, l := range c.dow.last {
			ok = ok || (wd == l && day+7 > daysIn(y, m))
		}
		for _, nk := range c.dow.nth {
			ok = ok || (wd == nk[0] && (day-1)/7+1 == nk[1])
		}
		if !ok {
			return false
		}
	}
	return true
}

// nearestWeekday is the weekday nearest to day w of the month, within the
// month (Quartz's and EventBridge's W); 0 when the month has no day w.
func nearestWeekday(y int, m time.Month, w int) int {
	n := daysIn(y, m)
	if w > n {
		return 0
	}
	switch time.Date(y, m, w, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if w == 1 {
			return 3 // Monday the 3rd
		}
		return w - 1
	case time.Sunday:
		if w == n {
			return w - 2
		}
		return w + 1
	}
	return w
}

// Next implements Schedule.
func (c *Cron) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	first := true
	for day.Year() <= c.lastYear {
		y, m, _ := day.Date()
		if !c.anyYear && !c.years[y] {
			day = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
			first = false
			continue
		}
		if c.months&(1<<m) == 0 {
			day = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
			first = false
			continue
		}
		if c.dayMatches(day) {
			h0, m0 := 0, 0
			if first {
				h0, m0 = t.Hour(), t.Minute()
			}
			for h := h0; h < 24; h++ {
				if c.hours&(1<<h) == 0 {
					continue
				}
				start := 0
				if h == h0 {
					start = m0
				}
				for mi := start; mi < 60; mi++ {
					if c.minutes&(1<<mi) != 0 {
						return day.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute)
					}
				}
			}
		}
		day = day.AddDate(0, 0, 1)
		first = false
	}
	return time.Time{}
}
