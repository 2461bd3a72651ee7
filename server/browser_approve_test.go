package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/crierhq/crier/engine"
)

// In a real browser, on a phone 390×844: a comms officer opens an
// ordinary statement with a Welsh translation in an exercise. Who it goes
// to, and where the exercise really sends it, and the Approve button are
// all on the first screen, without scrolling; approving works; the page,
// and the page to write an ad-hoc message, pass the audit.
func TestApproveFromThePhonesFirstScreen(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "closure.yaml"), []byte(closure), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	e, err := engine.Open(ctx, engine.Options{Clock: engine.NewVirtualClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: people, Now: func() time.Time { return start }}))
	defer srv.Close()
	f := &fixture{t: t, engine: e, lib: lib, http: srv}
	code, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "closure", "mode": "exercise"})
	if code != 201 {
		t.Fatalf("activate: %d %v", code, a)
	}
	id := a["id"].(string)
	msg := engine.OccurrenceID(id, "statement", 1) // due at the start: fired with the activation

	tab := launch(t, ctx, exe, 390, 844)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(css("#token"), token("Hana")), chromedp.Submit(css("#token")),
		chromedp.WaitVisible(css("#runbooks"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/ui/messages/"+msg), chromedp.WaitVisible(css("#approve"))); err != nil {
		t.Fatal(err)
	}
	// Each on the first screen: its box within the window, nothing
	// scrolled (the text at least begins there).
	onScreen := func(selector, edge string) string {
		return fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect();
			return window.scrollY === 0 && r.height > 0 && r.top >= 0 && r.%s <= window.innerHeight ? "" : "top " + r.top + ", bottom " + r.bottom + " in a window " + window.innerHeight + " high, scrolled " + window.scrollY; })()`, selector, edge)
	}
	for what, selector := range map[string]string{"the Approve button": "#approve", "who it goes to": ".goes-to .counts",
		"where the exercise really sends it": ".goes-to .only", "the text": ".says .message"} {
		edge := "bottom"
		if what == "the text" {
			edge = "top"
		}
		if problem, err := chromedp.Run(tab, chromedp.Evaluate[string](onScreen(selector, edge))); err != nil || problem != "" {
			t.Errorf("%s is not on the phone's first screen: %s %v", what, problem, err)
		}
	}
	for selector, want := range map[string]string{
		".goes-to .counts": "Addressed to 1 Slack channel, 3 people by email, 1 by text",
		".goes-to .only":   "In this exercise it goes only to: drill (Slack #ex-comms-cell)",
		"#approve":         "Approve revision 1 — goes to 1 channel",
		`[lang="cy"]`:      "Y Stryd Fawr ar gau",
	} {
		if got, err := chromedp.Run(tab, chromedp.Text(css(selector))); err != nil || !strings.Contains(got, want) {
			t.Errorf("%s says %q (%v), want %q", selector, got, err, want)
		}
	}
	auditPage(t, tab, "message")
	err = chromedp.Do(tab, chromedp.Click(css("#approve")), chromedp.WaitVisible(css(".done")))
	if done, _ := chromedp.Run(tab, chromedp.Text(css(".done"))); err != nil || !strings.Contains(done, "approval is recorded") {
		t.Fatalf("approving: %q %v", done, err)
	}
	if m, _ := e.Read().Message(nil, msg); m == nil || m.State == "pending_approval" {
		t.Errorf("after approving on the phone the message is %+v", m)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/ui/activations/"+id+"/messages/new"), chromedp.WaitVisible(css("#body"))); err != nil {
		t.Fatal(err)
	}
	auditPage(t, tab, "write a message")
}
