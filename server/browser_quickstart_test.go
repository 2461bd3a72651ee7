package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/examples"
	"github.com/crierhq/crier/notifiers"
)

// The quick start, in a real browser on a phone's screen, on the examples
// built into crier and the demo cast: the exercise lead signs in by a
// demo link and starts an exercise of the flood warning; the public
// warning says why she may not approve it; one comms officer edits it and
// is refused by four eyes, and the page says why; the other approves it,
// and the message is sent.
func TestTheQuickStartInTheBrowser(t *testing.T) {
	exe := chromium(t)
	lib, err := NewLibraryFS(examples.FS, "examples")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := examplesEngine(t, ctx)
	sched, _ := engine.NewScheduler(e, engine.RealClock{}, nil)
	d := engine.NewDeliverer(e, notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: &notifiers.Outbox{Dir: t.TempDir(), Now: time.Now}}})
	d.Follow(sched)
	go sched.Run(ctx)
	go d.Run(ctx)
	s := New(Options{Engine: e, Library: lib})
	cast := map[string]Demo{}
	for _, d := range s.AddDemoCast() {
		cast[strings.Fields(d.User.Name)[0]] = d
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	browser := launch(t, ctx, exe, 390, 844)
	if err := chromedp.Do(browser, chromedp.EmulateViewport(390, 844)); err != nil { // Chromium keeps a window 500px wide at least
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		t.Helper()
		got, err := chromedp.Run(browser, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return got
	}
	signIn := func(who string) {
		t.Helper()
		err := chromedp.Do(browser,
			chromedp.Navigate(srv.URL+"/login?as="+cast[who].Token),
			chromedp.WaitVisible(css("main form button")))
		if err != nil {
			t.Fatal(err)
		}
		if h := text("h1"); h != "Sign in as "+cast[who].User.Name {
			t.Errorf("the link's page says %q", h)
		}
		auditPage(t, browser, "sign in as "+who)
		if err := chromedp.Do(browser, chromedp.Click(css("main form button")), chromedp.WaitVisible(css("#runbooks"))); err != nil {
			t.Fatalf("signing in as %s: %v", who, err)
		}
	}
	var msg string // the public warning, once the exercise has started
	openMessage := func() {
		t.Helper()
		if err := chromedp.Do(browser, chromedp.Navigate(srv.URL+"/ui/messages/"+msg), chromedp.WaitVisible(css("h1"))); err != nil {
			t.Fatal(err)
		}
	}

	// The exercise lead starts the exercise, fast: the warning is due at
	// T+30m, three seconds at 600 times real time.
	signIn("Jo")
	err = chromedp.Do(browser,
		chromedp.Click(css(`a[href="/ui/runbooks/flood-warning/activate"]`)),
		chromedp.WaitVisible(css("#param-warning_area")),
		chromedp.SendKeys(css("#param-warning_area"), "Riverside"),
		chromedp.SetValue(css("#speed"), "600"),
		chromedp.Submit(css("#param-warning_area")),
		chromedp.WaitVisible(css("#timeline")))
	if err != nil {
		t.Fatalf("starting the exercise: %v", err)
	}
	if as, _ := e.Read().Activations(nil); len(as) == 1 {
		msg = as[0].ID + "/public-warning/1"
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m, _ := e.Read().Message(nil, msg)
		if m != nil && m.State == state.MessagePendingApproval {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for the public warning to wait for approval: %+v", m)
		}
	}
	openMessage()
	if got := text(".why-not"); !strings.Contains(got, "Your role (exercise lead) may not approve messages") ||
		!strings.Contains(got, "Duty Communications Officer, Sam Patel") {
		t.Errorf("to the exercise lead: %q", got)
	}

	// The first comms officer edits it, and may not approve what he wrote.
	signIn("Alex")
	openMessage()
	if none, _ := chromedp.Run(browser, chromedp.Evaluate[bool](`document.querySelector(".why-not") === null`)); !none {
		t.Errorf("before editing, Alex is told why not: %q", text(".why-not"))
	}
	err = chromedp.Do(browser,
		chromedp.Click(css(`details.more summary`)),
		chromedp.WaitVisible(css("#edit-body")),
		chromedp.SetValue(css("#edit-body"), "Flooding is expected in Riverside tonight. Move valuables upstairs and call 999 if in danger."),
		chromedp.Click(css(`input[name="withhold"][value="pl"]`)), // the Polish says what the old text said
		chromedp.Click(css(`button[value="edit"]`)),
		chromedp.WaitVisible(css(".done")))
	if err != nil {
		t.Fatalf("editing: %v", err)
	}
	if got := text(".why-not"); got != "Four eyes: you wrote revision 2, so another approver must approve it (Duty Communications Officer, Sam Patel)." {
		t.Errorf("to the editor: %q", got)
	}
	auditPage(t, browser, "message, to its editor")
	if none, _ := chromedp.Run(browser, chromedp.Evaluate[bool](`document.querySelector('button[value="approve"]') === null`)); !none {
		t.Errorf("the editor of revision 2 is offered to approve it")
	}

	// The second approves it, and it goes out.
	signIn("Sam")
	openMessage()
	err = chromedp.Do(browser, chromedp.Click(css(`button[value="approve"]`)), chromedp.WaitVisible(css(".done")))
	if err != nil || !strings.Contains(text(".done"), "approval is recorded") {
		t.Fatalf("Sam approving: %v", err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		openMessage()
		if strings.Contains(text(".state-line"), "Exercise · sent · revision 2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for the message to show sent: %q", text(".state-line"))
		}
	}
}
