package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// browser is a client with cookies that does not follow redirects.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, base: f.http.URL, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do makes a request. A form posted to the app without an idempotency
// key gets a fresh one, as a page rendered anew would give it.
func (b *browser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil && strings.HasPrefix(path, "/ui/") && form.Get("idempotency_key") == "" {
		form.Set("idempotency_key", newKey())
	}
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

// post submits a form as a browser does: a 303 See Other is followed to
// the page it names, whose status and text are returned.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	code, body, h := b.do("POST", path, form)
	if code == http.StatusSeeOther {
		code, body, _ = b.do("GET", h.Get("Location"), nil)
	}
	return code, body
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Signing in with a token gives a session; a comms officer the runbook
// names sees the statement waiting and approves it from its page; a form
// without the session's CSRF token, or from a viewer, does nothing.
func TestWebApproval(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	b := f.browser()
	if code, _, h := b.do("GET", "/", nil); code != http.StatusSeeOther || h.Get("Location") != "/login?next=%2F" {
		t.Fatalf("signed out: %d %s", code, h.Get("Location"))
	}
	if code, body, _ := b.do("POST", "/login", url.Values{"token": {"nope"}}); code != http.StatusUnauthorized || !strings.Contains(body, "not one crier knows") {
		t.Errorf("wrong token: %d", code)
	}
	for _, away := range []string{"//evil.example/", "/\\evil.example", "/\t/evil.example", "https://evil.example/"} {
		if _, _, h := b.do("POST", "/login", url.Values{"token": {token("Val")}, "next": {away}}); h.Get("Location") != "/" {
			t.Errorf("signing in sent the browser to %q", h.Get("Location"))
		}
	}
	code, _, h := b.do("POST", "/login", url.Values{"token": {token("Hana")}, "next": {"//evil.example/"}})
	cookie := h.Get("Set-Cookie")
	if code != http.StatusSeeOther || h.Get("Location") != "/" || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		t.Fatalf("sign in: %d %s %s", code, h.Get("Location"), cookie)
	}
	msg := id + "/statement/1"
	if code, body, _ := b.do("GET", "/", nil); code != http.StatusOK || !strings.Contains(body, `href="/ui/messages/`+msg+`"`) {
		t.Errorf("dashboard: %d\n%s", code, body)
	}
	_, body, _ := b.do("GET", "/ui/messages/"+msg, nil)
	csrf := csrfField.FindStringSubmatch(body)
	if csrf == nil || !strings.Contains(body, "Approve revision 1") {
		t.Fatalf("message page:\n%s", body)
	}
	if code, body, _ := b.do("POST", "/ui/messages/"+msg, url.Values{"action": {"approve"}, "revision": {"1"}}); code != http.StatusForbidden ||
		!strings.Contains(body, "did not come from crier") {
		t.Errorf("without CSRF: %d", code)
	}
	if code, _, h := b.do("POST", "/ui/messages/"+msg, url.Values{"action": {"approve"}, "revision": {"1"}, "csrf": {csrf[1]}}); code != http.StatusSeeOther ||
		h.Get("Location") != "/ui/messages/"+msg {
		t.Errorf("approve: %d %s", code, h.Get("Location"))
	}
	// The page it goes to says so, once.
	if _, body, _ := b.do("GET", "/ui/messages/"+msg, nil); !strings.Contains(body, `<p class="done" role="status">Your approval is recorded.</p>`) {
		t.Errorf("after approving:\n%s", body)
	}
	if approvals, _ := f.engine.Read().ApprovalsOf(nil, msg); len(approvals) != 1 || approvals[0].By != "head-comms" {
		t.Errorf("approvals: %+v", approvals)
	}
	_, page, _ := b.do("GET", "/ui/messages/"+msg, nil)
	if strings.Contains(page, "Your approval is recorded") {
		t.Error("the notice is shown again")
	}
	for _, want := range []string{`href="/ui/activations/` + id + `"`, "pending approval", "the runbook's draft",
		"from Head of communications, Duty communications officer", "Approved by Hana Head (as Head of communications) at 09:00"} {
		if !strings.Contains(page, want) {
			t.Errorf("the message page lacks %s\n%s", want, page)
		}
	}
	// A viewer's form is refused by role, whatever its token.
	v := f.browser()
	v.do("POST", "/login", url.Values{"token": {token("Val")}})
	_, page, _ = v.do("GET", "/ui/messages/"+msg, nil)
	vcsrf := csrfField.FindStringSubmatch(page)
	if strings.Contains(page, "Approve revision") || vcsrf == nil {
		t.Errorf("a viewer is offered the decision:\n%s", page)
	}
	if code, body, _ := v.do("POST", "/ui/messages/"+msg, url.Values{"action": {"approve"}, "revision": {"1"}, "csrf": {vcsrf[1]}}); code != http.StatusForbidden ||
		!strings.Contains(body, "may not") {
		t.Errorf("viewer approving: %d", code)
	}
	// Assets are embedded and served.
	if code, css, _ := b.do("GET", "/static/style.css", nil); code != http.StatusOK || !strings.Contains(css, ".exercise") {
		t.Errorf("style: %d", code)
	}
}

// A comms officer edits a draft from its page; the page then shows the
// change against the draft and the message as its channels will show it.
func TestWebEditShowsTheDiff(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Dev")}})
	msg := "/ui/messages/" + id + "/statement/1"
	_, page, _ := b.do("GET", msg, nil)
	csrf := csrfField.FindStringSubmatch(page)
	code, page := b.post(msg, url.Values{"csrf": {csrf[1]}, "action": {"edit"}, "subject": {"Statement for Eastfield"},
		"body": {"We know there is concern in Eastfield.\r\nOfficers are on patrol tonight."}})
	if code != http.StatusOK || !strings.Contains(page, "Your revision is saved") {
		t.Fatalf("edit: %d\n%s", code, page)
	}
	for _, want := range []string{"Changes from the draft", `<span class="added">+ Officers are on patrol tonight.</span>`,
		`<span class="removed">- We know there is concern in Eastfield. Officers are on patrol.</span>`, "<h3>slack</h3>", "revision 2"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s\n%s", want, page)
		}
	}
}

// The web app's forms follow the same role rules as the API: each form
// posted by each role, on a fresh activation, is refused by role exactly
// when the rules say.
func TestWebWhoMayDoWhat(t *testing.T) {
	forms := []struct {
		path string
		form url.Values
		may  []string // besides admin
	}{
		{"/ui/messages/a-000001/statement/1", url.Values{"action": {"reject"}, "reason": {"wrong area"}}, []string{RoleComms}},
		{"/ui/activations/a-000001", url.Values{"action": {"standdown"}, "reason": {"all clear"}, "confirm": {"yes"}}, []string{RolePlanner}},
		{"/ui/activations/a-000001", url.Values{"action": {"halt"}, "reason": {"real incident"}, "confirm": {"yes"}}, []string{RolePlanner, RoleExerciseLead}},
		{"/ui/activations/a-000001/injects", url.Values{"to": {"public"}, "body": {"A second incident"}}, []string{RoleExerciseLead}},
		{"/ui/activations/a-000001/speed", url.Values{"speed": {"60"}}, []string{RolePlanner, RoleExerciseLead}},
		{"/ui/activations/a-000001/decisions", url.Values{"decision": {"Open a rest centre"}}, []string{RolePlanner}},
		{"/ui/runbooks/reload", url.Values{}, []string{RolePlanner}},
		{"/ui/tasks/a-000001/walkabout/1", url.Values{"action": {"done"}}, []string{RolePlanner}},
		{"/ui/runbooks/tension/activate", url.Values{"mode": {"live"}, "param.area": {"X"}, "confirm": {"tension"}}, []string{RolePlanner}},
		{"/ui/runbooks/tension/activate", url.Values{"mode": {"exercise"}, "param.area": {"X"}}, []string{RolePlanner, RoleExerciseLead}},
	}
	for _, fm := range forms {
		for _, p := range people {
			f := newFixture(t)
			f.activated()
			b := f.browser()
			b.do("POST", "/login", url.Values{"token": {string(p.Token)}})
			_, dash, _ := b.do("GET", "/", nil)
			fm.form.Set("csrf", csrfField.FindStringSubmatch(dash)[1])
			fm.form.Del("idempotency_key")
			code, body, _ := b.do("POST", fm.path, fm.form)
			allowed := p.Roles[0] == RoleAdmin || slices.Contains(fm.may, p.Roles[0])
			if refused := code == http.StatusForbidden && strings.Contains(body, " may not "); refused == allowed {
				t.Errorf("%s %v as %s: %d (allowed: %v)", fm.path, fm.form.Get("action")+fm.form.Get("mode"), p.Name, code, allowed)
			}
		}
	}
}

// The activation page shows who has yet to acknowledge; the dashboard puts
// a task not acknowledged in time first, marked overdue.
func TestWebOutstandingAndOverdue(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Priya")}})
	_, page, _ := b.do("GET", "/ui/activations/"+id, nil)
	if !strings.Contains(page, "waiting for Community cohesion officer") || !strings.Contains(page, "<td>statement</td><td>notify</td><td>&#43;0s</td><td>&#43;0s</td><td>–</td><td>fired</td>") {
		t.Errorf("activation page:\n%s", page)
	}
	// A planner reassigns the task from the page.
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "action": {"reassign"}, "to": {"head-comms"}}
	if code, page := b.post("/ui/tasks/"+id+"/walkabout/1", form); code != http.StatusOK || !strings.Contains(page, "The task is reassigned") ||
		!strings.Contains(page, "for Head of communications · open") {
		t.Errorf("reassigning: %d\n%s", code, page)
	}
	if _, dash, _ := b.do("GET", "/", nil); strings.Contains(dash, "Overdue:") {
		t.Error("overdue at once")
	}
	later := httptest.NewServer(New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start.Add(time.Hour) }}))
	defer later.Close()
	lb := &browser{t: t, base: later.URL, client: b.client}
	lb.client.Jar, _ = cookiejar.New(nil)
	lb.do("POST", "/login", url.Values{"token": {token("Priya")}})
	if _, dash, _ := lb.do("GET", "/", nil); !strings.Contains(dash, `Overdue:</strong> <a href="/ui/activations/`+id+`#tasks">Community walkabout</a><span class="instructions">Walk the area`) {
		t.Errorf("an hour later:\n%s", dash)
	}
}

// The activate form asks for a severity and shows the plan in the
// runbook's own words; the activation it starts carries what was given.
func TestWebActivateForm(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Priya")}})
	_, page, _ := b.do("GET", "/ui/runbooks/tension/activate", nil)
	for _, want := range []string{`<select id="severity" name="severity">`, "<option>critical</option>", "+0s</span> Statement on the incident (notify, needs approval)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the form lacks %s\n%s", want, page)
		}
	}
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(page)[1]}, "mode": {"live"}, "param.area": {"Eastfield"},
		"event": {"Disorder after a stabbing"}, "severity": {"high"}, "confirm": {"tension"}}
	code, _, h := b.do("POST", "/ui/runbooks/tension/activate", form)
	as, _ := f.engine.Read().Activations(nil)
	if code != http.StatusSeeOther || len(as) != 1 || as[0].Severity != "high" || h.Get("Location") != "/ui/activations/"+as[0].ID {
		t.Fatalf("activating: %d %s %+v", code, h.Get("Location"), as)
	}
	if _, page, _ = b.do("GET", h.Get("Location"), nil); !strings.Contains(page, "live · active") || !strings.Contains(page, "Activated live") {
		t.Errorf("the activation page:\n%s", page)
	}
}

// An exercise's page says once that its times are exercise time, and at
// what speed from when, with the exercise's clock to run on the page.
func TestExercisePageShowsItsClock(t *testing.T) {
	f := newFixture(t)
	code, a := f.call(token("Elle"), "POST", "/api/v1/activations", map[string]any{"runbook": "tension", "mode": "exercise",
		"params": map[string]string{"area": "Eastfield"}, "speed": 60})
	if code != http.StatusCreated {
		t.Fatalf("activate: %d %v", code, a)
	}
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Elle")}})
	_, page, _ := b.do("GET", "/ui/activations/"+a["id"].(string), nil)
	want := `Exercise time now: <time id="exercise-clock" data-scenario="` + fmt.Sprint(start.UnixMilli()) + `" data-wall="` + fmt.Sprint(start.UnixMilli()) +
		`" data-speed="60" data-zone="UTC">09:00:00</time>. Times on this page are exercise time: speed ×60 from 09:00 real time.`
	if !strings.Contains(page, want) {
		t.Errorf("the exercise's page lacks its clock:\n%s", page)
	}
}

// A speed that is not a number, on either form, is refused naming the
// range: never Go's words for it, never silently real time.
func TestFormSpeedsThatAreNotSpeeds(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Elle")}})
	for _, speed := range []string{"NaN", "Inf", "abc", "0.5"} {
		_, form, _ := b.do("GET", "/ui/runbooks/tension/activate", nil)
		_, page := b.post("/ui/runbooks/tension/activate", url.Values{"csrf": {csrfField.FindStringSubmatch(form)[1]},
			"mode": {"exercise"}, "param.area": {"Eastfield"}, "speed": {speed}})
		if !strings.Contains(page, "from 1 (real time) to 10,000 scenario seconds per real second") || strings.Contains(page, "json:") {
			t.Errorf("speed %q: the form does not say the range:\n%.2000s", speed, page)
		}
	}
	if as, _ := f.engine.Read().Activations(nil); len(as) != 0 {
		t.Errorf("%d activations started with speeds that are not speeds", len(as))
	}
}

// A page crier does not have is said so as a page, with the way back; /ui/
// itself is the dashboard.
func TestWebNoSuchPage(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Priya")}})
	if code, page, _ := b.do("GET", "/ui/nothing-here", nil); code != http.StatusNotFound || !strings.Contains(page, "crier has no page at /ui/nothing-here.") || !strings.Contains(page, "Back to the dashboard") {
		t.Errorf("no such page: %d\n%s", code, page)
	}
	if code, _, h := b.do("GET", "/ui/", nil); code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Errorf("/ui/: %d to %q", code, h.Get("Location"))
	}
}
