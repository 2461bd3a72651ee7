package runbooks

import (
	"strings"
	"testing"
	"time"
)

func london(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// occurrences lists a spec's firings at or after from, up to until; @every
// intervals count from from.
func occurrences(t *testing.T, spec string, loc *time.Location, from, until time.Time) []string {
	t.Helper()
	s, err := ParseSchedule(spec)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for at, ok := s.next(from, from.Add(-time.Nanosecond), loc); ok && !at.After(until); at, ok = s.next(from, at, loc) {
		out = append(out, at.UTC().Format("2006-01-02 15:04Z"))
		if len(out) > 100 {
			t.Fatal("runaway schedule")
		}
	}
	return out
}

func TestClockChangesInLondon(t *testing.T) {
	loc := london(t)
	// 2026: clocks go forward at 01:00 GMT on 29 March, back at 01:00 GMT on 25 October.
	spring := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	autumn := time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		spec     string
		from, to time.Time
		want     []string
	}{
		{
			// 01:30 does not exist on 29 March: fire once at 02:00 BST, the
			// first instant after the gap (robfig/cron would skip the day).
			name: "spring gap fires once after the gap",
			spec: "30 1 * * *", from: spring, to: spring.Add(72 * time.Hour),
			want: []string{"2026-03-29 01:00Z", "2026-03-30 00:30Z", "2026-03-31 00:30Z"},
		},
		{
			// 01:00, 01:15, 01:30, 01:45 are all skipped: one firing, not four.
			name: "several gap times collapse into one firing",
			spec: "*/15 1 29 3 *", from: spring, to: spring.Add(24 * time.Hour),
			want: []string{"2026-03-29 01:00Z"},
		},
		{
			name: "daily 09:00 stays 09:00 on the wall clock",
			spec: "0 9 * * *", from: spring, to: spring.Add(48 * time.Hour),
			want: []string{"2026-03-29 08:00Z", "2026-03-30 08:00Z"},
		},
		{
			// 01:30 happens twice on 25 October (BST, then GMT): fire the first time only.
			name: "autumn repeated hour fires once",
			spec: "30 1 * * *", from: autumn, to: autumn.Add(72 * time.Hour),
			want: []string{"2026-10-25 00:30Z", "2026-10-26 01:30Z", "2026-10-27 01:30Z"},
		},
		{
			name: "hourly through the autumn change fires each wall hour once",
			spec: "0 * 25 10 *", from: time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), to: time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC),
			// From 00:30 BST: 01:00 BST, then 02:00 GMT, 03:00 GMT; the second 01:00 (GMT) is skipped.
			want: []string{"2026-10-25 00:00Z", "2026-10-25 02:00Z", "2026-10-25 03:00Z"},
		},
		{
			// Activated at 01:10 GMT, in the second pass of the repeated hour:
			// 01:30 BST has already gone by, 01:30 GMT is still to come.
			name: "activated inside the repeated hour",
			spec: "30 1 * * *", from: time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC), to: time.Date(2026, 10, 26, 12, 0, 0, 0, time.UTC),
			want: []string{"2026-10-25 01:30Z", "2026-10-26 01:30Z"},
		},
		{
			name: "@every counts elapsed time across the change",
			spec: "@every 12h", from: spring, to: spring.Add(36 * time.Hour),
			want: []string{"2026-03-28 12:00Z", "2026-03-29 00:00Z", "2026-03-29 12:00Z", "2026-03-30 00:00Z"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := occurrences(t, tc.spec, loc, tc.from, tc.to)
			if strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"TZ=0":                  "sets a time zone",
		"CRON_TZ=UTC 0 9 * * *": "sets a time zone",
		"0 0 30 2 *":            "never fires",
		"61 * * * *":            "not a valid cron spec",
		"0 9 * *":               "not a valid cron spec",
		"@every 30s":            "more often than once a minute",
		"@every soon":           "@every needs a duration",
		"@fortnightly":          "not a valid cron spec",
		"":                      "not a valid cron spec",
	} {
		_, err := ParseSchedule(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchedule(%q) = %v, want an error containing %q", spec, err, want)
		}
	}
	for _, spec := range []string{"@daily", "@hourly", "@weekly", "@monthly", "@yearly", "0 9 * * 1-5", "@every 1d12h", "0 0 29 2 *"} {
		if _, err := ParseSchedule(spec); err != nil {
			t.Errorf("ParseSchedule(%q): %v", spec, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "0s": 0, "30m": 30 * time.Minute, "1d12h": 36 * time.Hour, "2w": 14 * 24 * time.Hour,
		"1.5h": 90 * time.Minute, "3d": 72 * time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5", "-5m", "1y", "30 mins", "d", "1h-", "9999999w"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want an error", in)
		}
	}
	if got := FormatDuration(9*24*time.Hour + 22*time.Hour); got != "9d22h" {
		t.Errorf("FormatDuration = %q", got)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                  "0s",
		400 * time.Millisecond:             "0s",
		45 * time.Second:                   "45s",
		5*time.Minute + 30*time.Second:     "5m 30s",
		time.Hour + 408360*time.Nanosecond: "1h",
		time.Hour + 5*time.Minute + 44*time.Second:                                "1h 5m",
		5*time.Hour + 15*time.Minute + 44*time.Second + 373801417*time.Nanosecond: "5h 15m",
		51*time.Hour + 20*time.Minute:                                             "2d 3h",
		-90 * time.Second:                                                         "-1m 30s",
		2*time.Hour + 50*time.Minute + 20*time.Second + 242994*time.Microsecond:   "2h 50m",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
