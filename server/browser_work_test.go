package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// In a real browser, on a phone: the cohesion officer, who holds only the
// viewer role, acknowledges the task assigned to them and marks it done
// from their dashboard; the runbook page and the archive pass the same
// audit as every other page.
func TestAssigneeWorksInTheBrowser(t *testing.T) {
	exe := chromium(t)
	f := newWorkFixture(t)
	id := f.briefed()
	task := engine.OccurrenceID(id, "walkabout", 1)

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tab := launch(t, ctx, exe, 390, 844)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844), chromedp.Navigate(f.http.URL+"/login"),
		chromedp.SendKeys(css("#token"), cara), chromedp.Submit(css("#token")),
		chromedp.WaitVisible(css("#acks-h"))); err != nil {
		t.Fatal(err)
	}
	auditPage(t, tab, "the assignee's dashboard")
	notice := func(want string) string {
		t.Helper()
		var got string
		var err error
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			got, err = chromedp.Run(tab, chromedp.Evaluate[string](`(document.querySelector("p.done") || {}).textContent || ""`))
			if got == want {
				return got
			}
		}
		t.Errorf("the notice says %q (%v), want %q", got, err, want)
		return got
	}
	if err := chromedp.Do(tab, chromedp.Click(css(`#acks form[action="/ui/acks/`+task+`"] button`))); err != nil {
		t.Fatal(err)
	}
	notice("Your acknowledgement is recorded.")
	taskIs(t, f, task, state.TaskAcknowledged)
	if err := chromedp.Do(tab, chromedp.Click(css(`#tasks form[action="/ui/tasks/`+task+`"] button[value=done]`))); err != nil {
		t.Fatal(err)
	}
	notice("The task is done.")
	tk := taskIs(t, f, task, state.TaskDone)
	if tk.DoneBy != "Cara Cohesion" {
		t.Errorf("done by %q", tk.DoneBy)
	}
	if tasks, err := chromedp.Run(tab, chromedp.Text(css("#tasks"))); err != nil || !strings.Contains(tasks, "No tasks for you.") {
		t.Errorf("the dashboard's tasks after: %q %v", tasks, err)
	}
	for _, path := range []string{"/ui/runbooks/briefing", "/ui/activations", "/ui/messages/" + engine.OccurrenceID(id, "brief", 1)} {
		if err := chromedp.Do(tab, chromedp.Navigate(f.http.URL+path), chromedp.WaitVisible(css("h1"))); err != nil {
			t.Fatal(err)
		}
		auditPage(t, tab, path)
	}
}

// taskIs waits, generously, for a task to reach a state, and returns it.
func taskIs(t *testing.T, f *fixture, id, want string) *state.Task {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tk, err := f.engine.Read().Task(nil, id)
		if err == nil && tk != nil && tk.State == want {
			return tk
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s is %+v, not %s", id, tk, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
