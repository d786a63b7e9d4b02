package spec

import "testing"

func TestCheckSchedule(t *testing.T) {
	t.Parallel()
	valid := []string{
		"rate(1 minute)", "rate(15 minutes)", "rate(1 hour)", "rate(2 hours)", "rate(1 day)", "rate(7 days)",
		"cron(0 2 * * ? *)", "cron(0/15 * * * ? *)", "cron(*/5 8-17 ? * MON-FRI *)", "cron(0 18 ? * 2-6 *)",
		"cron(15 10 ? * 6L 2019-2022)", "cron(0 12 L * ? *)", "cron(0 9 3W * ? *)", "cron(0 9 LW * ? *)",
		"cron(0 10 ? * 3#2 *)", "cron(0 0 1 JAN,jul ? *)", "cron(5,35 14 * * ? 2030)", "cron(0 8 1-15/2 * ? *)",
		"cron(0 0 ? * L *)", "cron(59 23 31 12 ? 2199)",
	}
	for _, s := range valid {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			if err := CheckSchedule(s); err != nil {
				t.Errorf("CheckSchedule(%q) = %v", s, err)
			}
		})
	}
	invalid := []struct{ in, want string }{
		{"daily", `"daily" is not a schedule: write rate(15 minutes) or cron(0 2 * * ? *) (minutes hours day-of-month month day-of-week year)`},
		{"rate(5 minutes", `"rate(5 minutes" is not a schedule: write rate(15 minutes) or cron(0 2 * * ? *) (minutes hours day-of-month month day-of-week year)`},
		{"rate(0 minutes)", "rate(0 minutes): the value must be a whole number of at least 1"},
		{"rate(+5 minutes)", "rate(+5 minutes): the value must be a whole number of at least 1"},
		{"rate(1.5 hours)", "rate(1.5 hours): the value must be a whole number of at least 1"},
		{"rate(5 minute)", "rate(5 minute): write rate(5 minutes): the unit is plural for a value other than 1"},
		{"rate(1 days)", "rate(1 days): write rate(1 day): the unit is singular for 1"},
		{"rate(5 weeks)", `rate(5 weeks): the unit must be minute(s), hour(s) or day(s), not "weeks"`},
		{"rate(5)", "rate(5): write rate(N unit), as in rate(15 minutes)"},
		{"cron(0 2 * * ?)", "cron(0 2 * * ?): expected 6 fields (minutes hours day-of-month month day-of-week year), found 5, as in cron(0 2 * * ? *)"},
		{"cron(60 2 * * ? *)", `cron(60 2 * * ? *): minutes field "60": "60" is not 0-59`},
		{"cron(0 24 * * ? *)", `cron(0 24 * * ? *): hours field "24": "24" is not 0-23`},
		{"cron(0 2 0 * ? *)", `cron(0 2 0 * ? *): day-of-month field "0": "0" is not 1-31`},
		{"cron(0 2 * 13 ? *)", `cron(0 2 * 13 ? *): month field "13": "13" is not 1-12 or JAN-DEC`},
		{"cron(0 2 ? * MOND *)", `cron(0 2 ? * MOND *): day-of-week field "MOND": "MOND" is not 1-7 or SUN-SAT`},
		{"cron(0 2 * * ? 1969)", `cron(0 2 * * ? 1969): year field "1969": "1969" is not 1970-2199`},
		{"cron(0 ? * * ? *)", `cron(0 ? * * ? *): hours field "?": ? is only allowed in day-of-month and day-of-week`},
		{"cron(0/0 * * * ? *)", `cron(0/0 * * * ? *): minutes field "0/0": the increment after / must be from 1 to 60`},
		{"cron(0 2 * * ?,1 *)", `cron(0 2 * * ?,1 *): day-of-week field "?,1": ? must stand alone`},
		{"cron(0 2 ? * 3#6 *)", `cron(0 2 ? * 3#6 *): day-of-week field "3#6": the week after # must be 1 to 5`},
		{"cron(0 2W 1 * ? *)", `cron(0 2W 1 * ? *): hours field "2W": "2W" is not 0-23`},
		{"cron(0,,5 2 * * ? *)", `cron(0,,5 2 * * ? *): minutes field "0,,5": empty value in a list`},
		{"cron(0 2 * * * *)", "cron(0 2 * * * *): one of day-of-month and day-of-week must be ? and the other not, as in cron(0 2 * * ? *) or cron(0 2 ? * MON *)"},
		{"cron(0 2 ? * ? *)", "cron(0 2 ? * ? *): one of day-of-month and day-of-week must be ? and the other not, as in cron(0 2 * * ? *) or cron(0 2 ? * MON *)"},
	}
	for _, tt := range invalid {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if err := CheckSchedule(tt.in); err == nil || err.Error() != tt.want {
				t.Errorf("CheckSchedule(%q) = %v\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}
