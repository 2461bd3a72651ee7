package server

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The timeline and the live summary say what happened in words: "Task
// opened: Community walkabout", never task_opened; a decision once, not
// "decision recorded decision".
func TestTimelineInWords(t *testing.T) {
	f := newWorkFixture(t)
	id := f.briefed()
	if code, m := f.call(token("Priya"), "POST", "/api/v1/activations/"+id+"/decisions", map[string]string{"decision": "Open a rest centre"}); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("deciding: %d %v", code, m)
	}
	_, page, _ := f.signedIn(token("Val")).do("GET", "/ui/activations/"+id, nil)
	_, timeline, _ := strings.Cut(page, `<ol id="timeline">`)
	for _, want := range []string{"<strong>Activated</strong> — Briefing after a local incident", "<strong>Task opened</strong>: Community walkabout — assigned to cohesion</li>",
		"<strong>Message going out</strong>: Brief the cohesion officer — ", "<strong>Decision recorded</strong>: Open a rest centre</li>"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, timeline)
		}
	}
	shown := regexp.MustCompile(`data-kind="[a-z_]+"`).ReplaceAllString(timeline, "")
	if regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`).MatchString(shown) {
		t.Errorf("the timeline shows an event's name: %s", regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`).FindString(shown))
	}
	if !strings.Contains(page, "Latest: Decision recorded: Open a rest centre at 09:00:00.") {
		t.Errorf("the summary's latest:\n%s", page)
	}
}

// An escalation says why it ran in words, and the detail does not repeat it.
func TestEscalationInWords(t *testing.T) {
	for _, c := range []struct{ kind, detail, what, rest string }{
		{"escalated", "acknowledgement_overdue, escalation 1 of 2: waiting for Cara; told Hana", "Escalated: acknowledgement overdue", "escalation 1 of 2: waiting for Cara; told Hana"},
		{"escalated", "approval_overdue, reminder 1 of 3: waiting for Hana; told Hana", "Escalated: approval overdue", "reminder 1 of 3: waiting for Hana; told Hana"},
		{"escalation_exhausted", "acknowledgement_overdue: no more notices; still waiting: Cara", "Reminders ran out: acknowledgement overdue", "no more notices; still waiting: Cara"},
	} {
		l := lineOfEvent(nil, eventView{Kind: c.kind, Step: "brief", Detail: c.detail})
		if l.What != c.what || l.Detail != c.rest || l.About != "brief" {
			t.Errorf("%s %q: %+v", c.kind, c.detail, l)
		}
	}
}
