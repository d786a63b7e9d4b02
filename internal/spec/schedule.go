package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckSchedule checks an EventBridge schedule expression: rate(N unit) or
// cron(minutes hours day-of-month month day-of-week year).
func CheckSchedule(s string) error {
	switch {
	case strings.HasPrefix(s, "rate(") && strings.HasSuffix(s, ")"):
		return checkRate(s[5 : len(s)-1])
	case strings.HasPrefix(s, "cron(") && strings.HasSuffix(s, ")"):
		return checkCron(s[5 : len(s)-1])
	}
	return fmt.Errorf("%q is not rate(N minutes|hours|days) or cron(m h dom mon dow year)", s)
}

func checkRate(s string) error {
	f := strings.Fields(s)
	if len(f) != 2 {
		return fmt.Errorf("rate(%s): write rate(N unit), for example rate(15 minutes)", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 {
		return fmt.Errorf("rate(%s): the value must be a positive integer", s)
	}
	unit := f[1]
	switch unit {
	case "minute", "hour", "day":
		if n != 1 {
			return fmt.Errorf("rate(%s): write %ss for a value other than 1", s, unit)
		}
	case "minutes", "hours", "days":
		if n == 1 {
			return fmt.Errorf("rate(%s): write %s for 1", s, strings.TrimSuffix(unit, "s"))
		}
	default:
		return fmt.Errorf("rate(%s): the unit must be minute(s), hour(s) or day(s)", s)
	}
	return nil
}

var cronFields = []struct {
	name     string
	min, max int
	extra    string
}{
	{"minutes", 0, 59, ",-*/"},
	{"hours", 0, 23, ",-*/"},
	{"day-of-month", 1, 31, ",-*?/LW"},
	{"month", 1, 12, ",-*/"},
	{"day-of-week", 1, 7, ",-*?/L#"},
	{"year", 1970, 2199, ",-*/"},
}

var monthNames = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC"
var dayNames = "SUN MON TUE WED THU FRI SAT"

func checkCron(s string) error {
	f := strings.Fields(s)
	if len(f) != 6 {
		return fmt.Errorf("cron(%s): expected 6 fields (minutes hours day-of-month month day-of-week year), found %d", s, len(f))
	}
	for i, spec := range cronFields {
		v := strings.ToUpper(f[i])
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",-/#", r) }) {
			if part == "*" || part == "?" || part == "L" || part == "W" || strings.HasSuffix(part, "W") || strings.HasSuffix(part, "L") {
				continue
			}
			if (i == 3 && strings.Contains(monthNames, part) && len(part) == 3) || (i == 4 && strings.Contains(dayNames, part) && len(part) == 3) {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil || n < spec.min || n > spec.max && !(strings.Contains(v, "/") && n <= spec.max*2) {
				return fmt.Errorf("cron(%s): %s field %q: values are %d-%d", s, spec.name, f[i], spec.min, spec.max)
			}
		}
		for _, r := range v {
			if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || strings.ContainsRune(spec.extra, r)) {
				return fmt.Errorf("cron(%s): %s field %q has an unexpected %q", s, spec.name, f[i], r)
			}
		}
	}
	if (f[2] == "?") == (f[4] == "?") {
		return fmt.Errorf("cron(%s): exactly one of day-of-month and day-of-week must be ?", s)
	}
	return nil
}
