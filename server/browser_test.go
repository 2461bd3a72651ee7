package server

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/notifiers"
)

// oneApprover is a runbook whose statement one comms officer approves.
const oneApprover = `version: 1
id: reassurance
title: Reassurance after a local incident
params:
  - name: area
    required: true
stakeholders:
  - id: head-comms
    name: Head of communications
    roles: [approver]
    email: head.comms@northbridge.gov.uk
channels:
  - id: public
    type: slack
    slack_channel: "#public-updates"
steps:
  - id: statement
    title: Statement
    at: 0s
    notify:
      to: [public]
      subject: Statement for {{ .Params.area }}
      body: Officers are in {{ .Params.area }} to reassure residents.
      approval: {approvers: [head-comms]}
`

// chromium finds Debian's Chromium. .ci/run installs it and sets
// CRIER_BROWSER_TESTS=required, so there the test cannot be skipped.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CRIER_BROWSER_TESTS") == "required" {
		t.Fatal("no Chromium on this machine, and browser tests are required here (apt-get install -y chromium)")
	}
	t.Skip("no Chromium on this machine (apt-get install -y chromium); .ci/run installs it and requires this test")
	return ""
}

// launch starts Chromium at a window size and returns a tab in it. A
// Chromium that dies as it starts, as one can on a busy machine, is
// started again, up to three times; the tab is closed when the test ends.
func launch(t *testing.T, ctx context.Context, exe string, width, height int) context.Context {
	t.Helper()
	var err error
	for range 3 {
		alloc, stop := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(width, height))...)
		tab, closeTab := chromedp.NewContext(alloc)
		if err = chromedp.Do(tab); err == nil { // starts the browser
			t.Cleanup(func() { closeTab(); stop() })
			return tab
		}
		closeTab()
		stop()
		t.Logf("Chromium did not start, trying again: %v", err)
	}
	t.Fatalf("Chromium did not start three times: %v", err)
	return nil
}

// In a real browser: a planner signs in and starts an exercise from its
// runbook; a comms officer approves the statement on its page; the
// activation page, open meanwhile, shows it sent without a reload; the
// report is shown and downloads.
func TestInTheBrowser(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "reassurance.yaml"), []byte(oneApprover), 0o644)
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	e, _ := engine.Open(ctx, engine.Options{})
	sched, _ := engine.NewScheduler(e, engine.RealClock{}, nil)
	d := engine.NewDeliverer(e, notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: &notifiers.Outbox{Dir: t.TempDir(), Now: time.Now}}})
	d.Follow(sched)
	go sched.Run(ctx)
	go d.Run(ctx)
	srv := httptest.NewServer(New(Options{Engine: e, Library: lib, Users: people}))
	defer srv.Close()

	browser := launch(t, ctx, exe, 390, 844) // a phone
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	audit := func(tab context.Context, page string) { t.Helper(); auditPage(t, tab, page) }
	signIn := func(tab context.Context, who string) error {
		return chromedp.Do(tab,
			chromedp.Navigate(srv.URL+"/login"),
			chromedp.SendKeys(css("#token"), token(who)),
			chromedp.Submit(css("#token")),
			chromedp.WaitVisible(css("#runbooks")))
	}
	// The planner starts the exercise. Headless Chromium keeps its window
	// at least 500px wide, so the page is shown as on a phone 390px wide.
	phone := chromedp.EmulateViewport(390, 844)
	if err := chromedp.Do(browser, phone, chromedp.Navigate(srv.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	audit(browser, "sign in")
	if err := signIn(browser, "Priya"); err != nil {
		t.Fatal(err)
	}
	audit(browser, "dashboard")
	err = chromedp.Do(browser,
		chromedp.Click(css(`a[href="/ui/runbooks/reassurance/activate"]`)),
		chromedp.WaitVisible(css("#param-area")))
	if err != nil {
		t.Fatal(err)
	}
	audit(browser, "activate")
	err = chromedp.Do(browser,
		chromedp.SendKeys(css("#param-area"), "Eastfield"),
		chromedp.Submit(css("#param-area")),
		chromedp.WaitVisible(css("#timeline")))
	if err != nil {
		t.Fatal(err)
	}
	heading, _ := chromedp.Run(browser, chromedp.Text(css("h1")))
	location, _ := chromedp.Run(browser, chromedp.Location())
	if heading != "Reassurance after a local incident" || !strings.HasSuffix(location, "/ui/activations/a-000001") {
		t.Fatalf("after activating: %q at %s", heading, location)
	}
	if banner, err := chromedp.Run(browser, chromedp.Text(css(".exercise"))); err != nil || !strings.Contains(banner, "EXERCISE") {
		t.Errorf("exercise banner: %q %v", banner, err)
	}
	audit(browser, "activation")
	// The comms officer, in the same browser: the activation page in one
	// tab, the statement in another.
	if err := signIn(browser, "Hana"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(browser, chromedp.Navigate(srv.URL+"/ui/activations/a-000001"),
		chromedp.WaitVisible(css(`li[data-kind="message_drafted"]`))); err != nil {
		t.Fatal(err)
	}
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	err = chromedp.Do(tab, phone,
		chromedp.Navigate(srv.URL+"/ui/messages/a-000001/statement/1"),
		chromedp.Click(css(`button[value="approve"]`)),
		chromedp.WaitVisible(css(".done")))
	if done, _ := chromedp.Run(tab, chromedp.Text(css(".done"))); err != nil || !strings.Contains(done, "approval is recorded") {
		t.Fatalf("approving: %q %v", done, err)
	}
	audit(tab, "message")
	// The first tab hears it sent, live.
	if err := chromedp.Do(browser, chromedp.WaitVisible(css(`li[data-kind="message_sent"]`))); err != nil {
		t.Fatalf("the live timeline never showed the message sent: %v", err)
	}
	if err := chromedp.Do(browser, chromedp.Navigate(srv.URL+"/ui/activations/a-000001/report")); err != nil {
		t.Fatal(err)
	}
	audit(browser, "report")
	report, err1 := chromedp.Run(browser, chromedp.Text(css(".report h2")))
	download, err2 := chromedp.Run(browser, chromedp.Evaluate[string](`fetch(document.querySelector('a[download]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err1 != nil || err2 != nil || report != "Summary" || !strings.HasPrefix(download, "# Reassurance after a local incident") {
		t.Errorf("report: %v %v\n%.200s\ndownload: %.100s", err1, err2, report, download)
	}
}

// auditPage checks what a screen reader, a keyboard, weak eyes and a phone
// need on the page shown: a language, one h1, a label for every field, a
// name for every button and link, text with a contrast of 4.5:1, and no
// sideways scrolling of the page at 390px wide.
func auditPage(t *testing.T, tab context.Context, page string) {
	t.Helper()
	problems, err := chromedp.Run(tab, chromedp.Evaluate[[]string](auditScript))
	if err != nil || len(problems) > 0 {
		t.Errorf("%s: %v %v", page, problems, err)
	}
}

const auditScript = `(() => {
	const p = [];
	if (!document.documentElement.lang) p.push("no lang on <html>");
	if (document.querySelectorAll("h1").length !== 1) p.push("not exactly one h1");
	for (const el of document.querySelectorAll("input:not([type=hidden]), textarea, select")) {
		const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.closest("label") || el.getAttribute("aria-label");
		if (!labelled) p.push("a field without a label: " + (el.name || el.id));
	}
	for (const el of document.querySelectorAll("button, a")) {
		if (!el.textContent.trim() && !el.getAttribute("aria-label")) p.push("a " + el.tagName.toLowerCase() + " without a name");
	}
	// WCAG contrast: at least 4.5:1 for the text of every element
	// that has text of its own, against the background behind it.
	const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
	const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
	const behind = el => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor; const v = rgb(c); if (v.length === 3 || v[3] > 0) return c; } return "rgb(255, 255, 255)"; };
	for (const el of document.querySelectorAll("body *")) {
		if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
		const a = lum(getComputedStyle(el).color), b = lum(behind(el));
		const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < 4.5) p.push("contrast " + ratio.toFixed(2) + ":1 for " + el.tagName.toLowerCase() + " '" + el.textContent.trim().slice(0, 30) + "'");
	}
	// On a phone only a table's own box scrolls sideways, never the page.
	if (window.innerWidth > 390) p.push("a window " + window.innerWidth + "px wide, not a phone's");
	if (document.documentElement.scrollWidth > window.innerWidth)
		p.push("the page is " + document.documentElement.scrollWidth + "px wide in a " + window.innerWidth + "px window");
	return p;
})()`

// In a real browser, on a phone: an alert whose escalation ran out, and a
// draft text too long to send, are each the first thing on the pages a
// comms officer opens, and those pages pass the same audit as the others.
func TestStillWaitingAndTextsInTheBrowser(t *testing.T) {
	exe := chromium(t)
	f := newScheduled(t, map[string]string{"partners": partnerAlert, "residents": residents}, Options{})
	ids := map[string]string{}
	for _, rb := range []string{"partners", "residents"} {
		code, a := f.call(token("Ada"), "POST", "/api/v1/activations", map[string]any{"runbook": rb, "mode": "exercise"})
		if code != 201 {
			t.Fatalf("activating %s: %d %v", rb, code, a)
		}
		ids[rb] = a["id"].(string)
	}
	f.until(24 * time.Hour)

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	tab := launch(t, ctx, exe, 390, 844)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844), chromedp.Navigate(f.http.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#token"), token("Hana")), chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("#runbooks"))); err != nil {
		t.Fatal(err)
	}
	for _, pg := range []struct{ path, first string }{
		{"/", "Still waiting after every reminder"},
		{"/ui/activations/" + ids["partners"], "Still waiting after every reminder"},
		{"/ui/messages/" + ids["residents"] + "/warning/1", "Too long for a text message: 1,120 characters"},
		{"/ui/runbooks/partners/activate", "This exercise will send to real people."}, // as a planner: a comms officer may not activate
	} {
		if strings.HasSuffix(pg.path, "/activate") {
			if err := chromedp.Do(tab, chromedp.Navigate(f.http.URL+"/login"), chromedp.SendKeys(chromedp.CSS("#token"), token("Priya")),
				chromedp.Submit(chromedp.CSS("#token")), chromedp.WaitVisible(chromedp.CSS("#runbooks"))); err != nil {
				t.Fatal(err)
			}
		}
		if err := chromedp.Do(tab, chromedp.Navigate(f.http.URL+pg.path)); err != nil {
			t.Fatal(err)
		}
		// The first thing after the page's heading and its line of facts.
		first, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("main .alert").innerText`))
		if err != nil || !strings.Contains(first, pg.first) {
			t.Errorf("%s: the first alert says %q (%v), want %q", pg.path, first, err, pg.first)
		}
		auditPage(t, tab, pg.path)
	}
}
