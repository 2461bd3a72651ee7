package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/examples"
)

// Review: a runbook's schedules in words, not "every @every 4h".
func TestScheduleWords(t *testing.T) {
	for spec, want := range map[string]string{
		"@every 4h":       "every 4 hours",
		"@every 90m":      "every 1 hour 30 minutes",
		"@every 1h":       "every hour",
		"@every 1w":       "every 7 days",
		"@daily":          "at 00:00 every day",
		"@hourly":         "every hour, on the hour",
		"0 8,13,18 * * *": "at 08:00, 13:00 and 18:00 every day",
		"0 16 * * *":      "at 16:00 every day",
		"30 12 * * 1,3,5": "at 12:30 on Mondays, Wednesdays and Fridays",
		"0 10 * * 1":      "at 10:00 on Mondays",
		"0 9 * * 1-5":     "at 09:00 on weekdays",
		"*/15 * * * *":    "*/15 * * * * (cron)",
		"0 9 1 * *":       "0 9 1 * * (cron)",
		"0,30 8-18 * * *": "0,30 8-18 * * * (cron)",
	} {
		if got := scheduleWords(spec); got != want {
			t.Errorf("%q: %q, want %q", spec, got, want)
		}
	}
}

// Review: a template on the runbook page and in the pack is text to send
// by hand, each value crier fills in a blank that says what goes there.
func TestTemplateBlanks(t *testing.T) {
	for text, want := range map[string]string{
		"Flood warning for {{ .Params.warning_area }}.":                            "Flood warning for [warning_area].",
		"{{ upper .Params.warning_level }}: move to higher ground":                 "[warning_level, in capitals]: move to higher ground",
		"Update {{ .Occurrence }}, {{ date \"15:04 on Monday 2 January\" .Now }}.": "Update [the number of this one], [the time it is sent, as 15:04 on Monday 2 January].",
		"Severity: {{ default \"not given\" .Activation.Severity | lower }}":       "Severity: [the severity, or “not given”, in small letters]",
		"{{ if .Params.road }}Avoid {{ .Params.road }}.{{ end }}":                  "{{if .Params.road}}Avoid {{.Params.road}}.{{end}}",
		"Not a template {{": "Not a template {{",
	} {
		if got := blanks(text); got != want {
			t.Errorf("%q:\n got %q\nwant %q", text, got, want)
		}
	}
}

// The flood warning's page says its schedules, templates and languages
// in words.
func TestRunbookPageInWords(t *testing.T) {
	lib, err := NewLibraryFS(examples.FS, "examples")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	srv := httptest.NewServer(New(Options{Engine: f.engine, Library: lib, Users: people, Now: func() time.Time { return start }}))
	defer srv.Close()
	b := f.browser()
	b.base = srv.URL
	b.do("POST", "/login", url.Values{"token": {token("Val")}})
	_, page, _ := b.do("GET", "/ui/runbooks/flood-warning", nil)
	for _, want := range []string{"<dt>When</dt><dd>every 4 hours", "<dt>When</dt><dd>at 08:00, 13:00 and 18:00 every day",
		"<dt>Subject</dt><dd>[warning_level, in capitals]: [warning_area]</dd>", "<dt>Also in</dt><dd>Polish (pl)</dd>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the flood warning's page lacks %s", want)
		}
	}
	for _, not := range []string{"@every", "{{", "8,13,18"} {
		if strings.Contains(page, not) {
			t.Errorf("the flood warning's page shows %s", not)
		}
	}
}
