package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/notifiers"
)

// gate holds the first request for the event stream until it is let go,
// so that a test can commit events after the page was drawn and before
// its stream is connected.
type gate struct {
	once    sync.Once
	arrived chan struct{}
	release chan struct{}
}

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/events" {
			first := false
			g.once.Do(func() { first = true })
			if first {
				close(g.arrived)
				<-g.release
			}
		}
		h.ServeHTTP(w, r)
	})
}

// liveScheduled is a scheduled fixture whose event stream is behind a gate.
func liveScheduled(t *testing.T) (*scheduled, *gate) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tension.yaml"), []byte(statement), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	clock := engine.NewVirtualClock(start)
	e, err := engine.Open(t.Context(), engine.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := engine.NewScheduler(e, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	deliv := engine.NewDeliverer(e, notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: bouncer{}}})
	go deliv.Run(t.Context())
	g := &gate{arrived: make(chan struct{}), release: make(chan struct{})}
	// The test moves the clock on by more than a session's idle time.
	srv := httptest.NewServer(g.wrap(New(Options{Engine: e, Library: lib, Users: people, Now: clock.Now, SessionIdle: 12 * time.Hour})))
	t.Cleanup(func() {
		select {
		case <-g.release:
		default:
			close(g.release)
		}
		srv.Close()
	})
	return &scheduled{fixture: &fixture{t: t, engine: e, lib: lib, http: srv}, clock: clock, sched: sched, deliv: deliv}, g
}

// In a real browser, the activation page of an exercise shows, without a
// reload, everything that happens: what was committed after the page was
// drawn and before its stream connected, a deadline passing, a message
// approved and sent, a task acknowledged and done, a decision recorded.
// A field someone is typing in is never replaced under them.
func TestLivePageInTheBrowser(t *testing.T) {
	exe := chromium(t)
	f, g := liveScheduled(t)
	code, a := f.call(token("Elle"), "POST", "/api/v1/activations", map[string]any{"runbook": "tension", "mode": "exercise",
		"params": map[string]string{"area": "Eastfield"}})
	if code != http.StatusCreated {
		t.Fatalf("activating: %d %v", code, a)
	}
	id := a["id"].(string)
	task := id + "/walkabout/1"

	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	tab := launch(t, ctx, exe, 1280, 900)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(f.http.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#token"), token("Priya")), chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("#runbooks")), chromedp.Navigate(f.http.URL+"/ui/activations/"+id)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	// shows waits until a section's text has want in it (or, with
	// not, no longer has it).
	shows := func(what, section, want string, not bool) {
		t.Helper()
		js := `(document.querySelector(` + strconv.Quote(section) + `) || {innerText: ""}).innerText.includes(` + strconv.Quote(want) + `)`
		if not {
			js = "!" + js
		}
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			text, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
			t.Fatalf("%s: %s never %s %q: %v\n%s", what, section, map[bool]string{false: "showed", true: "stopped showing"}[not], want, err, text)
		}
	}
	if banner, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector(".exercise").innerText + (document.querySelector(".live-banner") ? " and LIVE" : "")`)); err != nil ||
		banner != "EXERCISE — this activation is a drill, not a real incident" {
		t.Errorf("the exercise's banner: %q %v", banner, err)
	}

	// The statement is drafted and the task opened after the page was
	// drawn, before its stream connected.
	select {
	case <-g.arrived:
	case <-ctx.Done():
		t.Fatal("the page never opened its event stream")
	}
	f.until(0)
	close(g.release)
	shows("drafted before the stream connected", "#live-messages", "Statement on the incident in Eastfield", false)
	shows("opened before the stream connected", "#live-tasks", "Walk the area with the ward councillors.", false)
	shows("the task's deadline", "#live-due", "Deadline: Acknowledgement of the task “Community walkabout”", false)
	shows("the timeline", "#live-timeline", "Task opened: Community walkabout", false)
	shows("the summary", "#live-summary", "1 message waiting for approval · 1 task open", false)

	// Its deadline passes: it is overdue, at the top.
	f.until(40 * time.Minute)
	shows("overdue", "#live-due .overdue", "Acknowledgement of the task “Community walkabout”", false)
	shows("overdue, summed up", "#live-summary", "1 overdue.", false)

	// Someone starts typing where the task is reassigned; meanwhile the
	// task is acknowledged, and the statement approved and sent. The tasks
	// are not redrawn under them; the rest of the page is.
	field := `[id="to-` + task + `"]`
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(field), "head-comms")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Apply(t.Context(), &engine.Acknowledge{Subject: task, By: "cohesion", Via: "email"}); err != nil {
		t.Fatalf("the assignee acknowledging: %v", err)
	}
	msg := "/api/v1/messages/" + id + "/statement/1/approve"
	for _, who := range []string{"Hana", "Dev"} {
		if code, m := f.call(token(who), "POST", msg, nil); code != http.StatusOK {
			t.Fatalf("%s approving: %d %v", who, code, m)
		}
	}
	if err := f.deliv.Deliver(t.Context()); err != nil {
		t.Fatal(err)
	}
	shows("approved and sent", "#live-messages", "sent", false)
	shows("no longer overdue once acknowledged", "#live-due", "Overdue", true)
	stale, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById("live-tasks").classList.contains("stale")`))
	typed, err2 := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('`+field+`').value`))
	if err != nil || err2 != nil || !stale || typed != "head-comms" {
		t.Errorf("the tasks, being typed in: stale %v, the field has %q (%v %v)", stale, typed, err, err2)
	}
	// They think better of it, empty the field and leave it: the tasks
	// catch up.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(f => { f.value = ""; f.blur(); return true })(document.querySelector('`+field+`'))`)); err != nil {
		t.Fatal(err)
	}
	shows("acknowledged, once the field was left", "#live-tasks", "for Community cohesion officer · acknowledged", false)

	// The task is done; a decision is recorded.
	if _, err := f.engine.Apply(t.Context(), &engine.CompleteTask{Task: task, By: "cohesion"}); err != nil {
		t.Fatalf("the assignee finishing: %v", err)
	}
	shows("done", "#live-tasks", "for Community cohesion officer · done", false)
	if code, m := f.call(token("Priya"), "POST", "/api/v1/activations/"+id+"/decisions", map[string]string{"decision": "Open a rest centre", "rationale": "Forty households out"}); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("deciding: %d %v", code, m)
	}
	shows("the decision", "#live-decisions", "Open a rest centre", false)
	shows("the decision, in the timeline", "#live-timeline", "Decision recorded: Open a rest centre", false)
	shows("the summary at the end", "#live-summary", "0 messages waiting for approval · 0 tasks open", false)

	if kept, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !kept {
		t.Errorf("the page was reloaded: %v %v", kept, err)
	}
}
