package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckSchedule checks an EventBridge schedule expression, as a pipeline's
// schedule: key holds it: rate(N minute|minutes|hour|hours|day|days), with the
// singular unit exactly for 1, or cron(minutes hours day-of-month month
// day-of-week year) where one of day-of-month and day-of-week is ?.
func CheckSchedule(s string) error {
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		return checkRate(s, s[len("rate("):len(s)-1])
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
		return checkCron(s, s[len("cron("):len(s)-1])
	}
	return fmt.Errorf("%q is not a schedule: write rate(15 minutes) or cron(0 2 * * ? *) (minutes hours day-of-month month day-of-week year)", s)
}

func checkRate(s, body string) error {
	f := strings.Fields(body)
	if len(f) != 2 {
		return fmt.Errorf("%s: write rate(N unit), as in rate(15 minutes)", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 || !isDigits(f[0]) {
		return fmt.Errorf("%s: the value must be a whole number of at least 1", s)
	}
	switch unit := f[1]; unit {
	case "minute", "hour", "day":
		if n != 1 {
			return fmt.Errorf("%s: write rate(%d %ss): the unit is plural for a value other than 1", s, n, unit)
		}
	case "minutes", "hours", "days":
		if n == 1 {
			return fmt.Errorf("%s: write rate(1 %s): the unit is singular for 1", s, strings.TrimSuffix(unit, "s"))
		}
	default:
		return fmt.Errorf("%s: the unit must be minute(s), hour(s) or day(s), not %q", s, unit)
	}
	return nil
}

// cronField describes one field of an EventBridge cron expression.
type cronField struct {
	name     string
	min, max int
	names    []string // names for min, min+1, … (months, days of the week)
	question bool     // ? allowed
	last     bool     // L allowed (day-of-month: L, LW; day-of-week: L, nL)
	weekday  bool     // nW allowed
	nth      bool     // n#k allowed
}

var cronFields = []cronField{
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31, question: true, last: true, weekday: true},
	{name: "month", min: 1, max: 12, names: strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")},
	{name: "day-of-week", min: 1, max: 7, names: strings.Fields("SUN MON TUE WED THU FRI SAT"), question: true, last: true, nth: true},
	{name: "year", min: 1970, max: 2199},
}

func checkCron(s, body string) error {
	f := strings.Fields(body)
	if len(f) != len(cronFields) {
		return fmt.Errorf("%s: expected 6 fields (minutes hours day-of-month month day-of-week year), found %d, as in cron(0 2 * * ? *)", s, len(f))
	}
	for i, cf := range cronFields {
		if err := cf.check(strings.ToUpper(f[i])); err != nil {
			return fmt.Errorf("%s: %s field %q: %v", s, cf.name, f[i], err)
		}
	}
	if (f[2] == "?") == (f[4] == "?") {
		return fmt.Errorf("%s: one of day-of-month and day-of-week must be ? and the other not, as in cron(0 2 * * ? *) or cron(0 2 ? * MON *)", s)
	}
	return nil
}

// check checks one field: a list of *, n, n-m, with an optional /step, or the
// special forms of the field.
func (cf cronField) check(v string) error {
	if v == "?" {
		if !cf.question {
			return fmt.Errorf("? is only allowed in day-of-month and day-of-week")
		}
		return nil
	}
	for _, part := range strings.Split(v, ",") {
		if err := cf.checkPart(part); err != nil {
			return err
		}
	}
	return nil
}

func (cf cronField) checkPart(part string) error {
	switch {
	case part == "":
		return fmt.Errorf("empty value in a list")
	case part == "?":
		return fmt.Errorf("? must stand alone")
	case cf.last && (part == "L" || cf.weekday && part == "LW"):
		return nil
	case cf.weekday && strings.HasSuffix(part, "W"):
		return cf.value(strings.TrimSuffix(part, "W"), false)
	case cf.nth && strings.Contains(part, "#"):
		day, k, _ := strings.Cut(part, "#")
		if n, err := strconv.Atoi(k); err != nil || n < 1 || n > 5 || !isDigits(k) {
			return fmt.Errorf("the week after # must be 1 to 5")
		}
		return cf.value(day, true)
	case cf.nth && cf.last && strings.HasSuffix(part, "L"):
		return cf.value(strings.TrimSuffix(part, "L"), true)
	}
	base, step, hasStep := strings.Cut(part, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || !isDigits(step) || n < 1 || n > cf.max-cf.min+1 {
			return fmt.Errorf("the increment after / must be from 1 to %d", cf.max-cf.min+1)
		}
	}
	if base == "*" {
		return nil
	}
	lo, hi, isRange := strings.Cut(base, "-")
	if err := cf.value(lo, true); err != nil {
		return err
	}
	if isRange {
		return cf.value(hi, true)
	}
	return nil
}

// value checks one number or name of the field.
func (cf cronField) value(v string, allowNames bool) error {
	if allowNames {
		for _, name := range cf.names {
			if v == name {
				return nil
			}
		}
	}
	if n, err := strconv.Atoi(v); err == nil && isDigits(v) && n >= cf.min && n <= cf.max {
		return nil
	}
	if len(cf.names) > 0 && allowNames {
		return fmt.Errorf("%q is not %d-%d or %s-%s", v, cf.min, cf.max, cf.names[0], cf.names[len(cf.names)-1])
	}
	return fmt.Errorf("%q is not %d-%d", v, cf.min, cf.max)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
