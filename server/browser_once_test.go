package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// In a real browser, a planner at a phone: a live activation needs the
// runbook's id typed, checked by the server; a decision recorded, then
// the page reloaded, is one decision, and so is its form sent twice at
// once; standing down needs its box ticked, by
// the browser and by the server. With CRIER_SCREENSHOTS set to a
// directory, the activate form (live chosen) and the stand-down
// confirmation are saved there as PNGs, at 1280×900 and 390×844.
func TestOneActionInTheBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tab := launch(t, ctx, exe, 1280, 900)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	phone, desk := [2]int64{390, 844}, [2]int64{1280, 900}
	view := func(size [2]int64) chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(size[0], size[1]) }
	// shoot saves the whole page, or the part around the element at, at
	// each size, then leaves the page at a phone's.
	shoot := func(name, at string, sizes ...[2]int64) {
		t.Helper()
		dir := os.Getenv("CRIER_SCREENSHOTS")
		if dir == "" {
			return
		}
		for _, size := range sizes {
			shot, place := chromedp.FullScreenshot(100), view(size)
			if at != "" {
				shot, place = chromedp.CaptureScreenshot(), chromedp.Steps(place, chromedp.ScrollIntoView(css(at)))
			}
			if err := chromedp.Do(tab, place); err != nil {
				t.Fatal(err)
			}
			png, err := chromedp.Run(tab, shot)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%dx%d.png", name, size[0], size[1])), png, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := chromedp.Do(tab, view(phone)); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	// submit clicks and waits for the next page: the one shown is marked
	// first, so that what is waited for is not found on it.
	submit := func(click chromedp.Action[chromedp.Void], then string) {
		t.Helper()
		err := chromedp.Do(tab, chromedp.SetAttributeValue(css("body"), "data-before", "submit"), click,
			chromedp.WaitVisible(css("body:not([data-before]) "+then)))
		if err != nil {
			t.Fatal(err)
		}
	}
	state := func(id string) string {
		a, _ := f.engine.Read().Activation(nil, id)
		if a == nil {
			return "none"
		}
		return a.State
	}

	err := chromedp.Do(tab, view(phone), chromedp.Navigate(f.http.URL+"/login"),
		chromedp.SendKeys(css("#token"), token("Priya")), chromedp.Submit(css("#token")), chromedp.WaitVisible(css("#runbooks")),
		chromedp.Navigate(f.http.URL+"/ui/runbooks/tension/activate"),
		chromedp.Click(css(`input[name=mode][value=live]`)),
		chromedp.SendKeys(css("#param-area"), "Eastfield"),
		chromedp.WaitVisible(css("#confirm")))
	if err != nil {
		t.Fatal(err)
	}
	auditPage(t, tab, "activate, live")
	shoot("activate-live", "", desk, phone)
	// Activate without typing: the server refuses, and keeps what was given.
	submit(chromedp.Click(css(`button[type=submit]`)), "h1 + p.error")
	if got := text("h1 + p.error"); !strings.Contains(got, "type the runbook's id, tension,") {
		t.Errorf("live without the id typed: %q", got)
	}
	if as, _ := f.engine.Read().Activations(nil); len(as) != 0 {
		t.Fatalf("activated without the id typed: %+v", as)
	}
	auditPage(t, tab, "activate, refused")
	shoot("activate-live-refused", "", desk, phone)
	if err := chromedp.Do(tab, chromedp.SendKeys(css("#confirm"), "tension")); err != nil {
		t.Fatal(err)
	}
	submit(chromedp.Click(css(`button[type=submit]`)), "#timeline")
	if got := text(".done"); got != "Activated live: messages go to real people." || state("a-000001") != "active" {
		t.Errorf("after activating live: %q, %s", got, state("a-000001"))
	}

	// A decision, then a reload: one decision, and the notice is not repeated.
	decide := func(what string, click chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.SendKeys(css("#decision"), what)); err != nil {
			t.Fatal(err)
		}
		submit(click, ".done")
		if got := text(".done"); got != "Decision recorded: it is in the log below." {
			t.Errorf("after recording %q: %q", what, got)
		}
	}
	decide("Open Mill Lane rest centre", chromedp.Click(css(`#decision ~ button`)))
	submit(chromedp.Reload(), "#timeline")
	if n := f.decisions("a-000001"); n != 1 {
		t.Errorf("%d decisions after a reload, want 1", n)
	}
	if shown, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll(".done").length`)); shown != 0 {
		t.Error("the reloaded page says again that the decision was recorded")
	}
	// The form sent twice at once, as a double click can: one decision.
	if err := chromedp.Do(tab, chromedp.SendKeys(css("#decision"), "Ask the police for a joint statement")); err != nil {
		t.Fatal(err)
	}
	twice, err := chromedp.Run(tab, chromedp.Evaluate[[]int](`(async () => {
		const form = document.querySelector("#decision").form;
		const send = () => fetch(form.action, {method: "POST", body: new URLSearchParams(new FormData(form)), redirect: "manual"});
		return (await Promise.all([send(), send()])).map(r => r.type === "opaqueredirect" ? 303 : r.status);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || len(twice) != 2 || twice[0] != 303 || twice[1] != 303 {
		t.Errorf("the form sent twice: %v %v", twice, err)
	}
	submit(chromedp.Reload(), ".done")
	if n := f.decisions("a-000001"); n != 2 {
		t.Errorf("%d decisions after the form was sent twice, want 2", n)
	}

	// Standing down: the browser will not send it unticked; a form that
	// does is refused by the server; ticked, it is done.
	if err := chromedp.Do(tab, chromedp.SendKeys(css("#reason"), "All clear from the police")); err != nil {
		t.Fatal(err)
	}
	shoot("standdown", "#controls", desk, phone)
	auditPage(t, tab, "activation, stand down")
	valid, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("#reason").form.checkValidity()`))
	if err != nil || valid {
		t.Errorf("the stand-down form is valid unticked (%v)", err)
	}
	if err := chromedp.Do(tab, chromedp.RemoveAttribute(css(`input[name=confirm]`), "required")); err != nil {
		t.Fatal(err)
	}
	submit(chromedp.Click(css(`button[value=standdown]`)), "p.error[role=alert]")
	if got := text("p.error[role=alert]"); !strings.Contains(got, "Not stood down: tick the box to confirm.") || state("a-000001") != "active" {
		t.Errorf("stand-down unticked: %q, %s", got, state("a-000001"))
	}
	if err := chromedp.Do(tab, chromedp.Click(css(`input[name=confirm]`))); err != nil {
		t.Fatal(err)
	}
	submit(chromedp.Click(css(`button[value=standdown]`)), ".done")
	if got := text(".done"); got != "Stood down: nothing more fires or is sent." || state("a-000001") != "stood_down" {
		t.Errorf("stand-down ticked: %q, %s", got, state("a-000001"))
	}
}
