package server

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Review 12: one clock on the dashboard. A planner's dashboard marks a
// task overdue by comparing the real time now with the task's opening
// time plus its ack_within; in a paced exercise the opening time is
// scenario time, so at 60x a task whose 30 minutes ran out an exercise
// hour ago (and which the engine has already escalated) is not shown as
// overdue until half a real hour has passed.
func TestDashboardOverdueKeepsTheExercisesClock(t *testing.T) {
	f := newFixture(t)
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{
		"runbook": "tension", "mode": "exercise", "speed": 60, "params": map[string]string{"area": "Eastfield"}, "event": "Exercise Eastfield"})
	if code != http.StatusCreated {
		t.Fatalf("activate: %d %v", code, a)
	}
	id := a["id"].(string) // its walkabout task, due at the start, opened with it
	// One real minute later: an hour of the exercise, the task 30 minutes overdue.
	later := httptest.NewServer(New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start.Add(time.Minute) }}))
	defer later.Close()
	b := f.browser()
	b.base = later.URL
	b.client.Jar, _ = cookiejar.New(nil)
	b.do("POST", "/login", url.Values{"token": {token("Priya")}})
	if _, dash, _ := b.do("GET", "/", nil); !strings.Contains(dash, `Overdue:</strong> <a href="/ui/activations/`+id+`#tasks">`) {
		t.Errorf("an exercise hour after the task opened (ack within 30m), the planner's dashboard does not show it overdue:\n%s", dash)
	}
}
