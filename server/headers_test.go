package server

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// Every answer says nosniff, so a browser never runs JSON or Markdown as
// a page or script; every page, the acknowledgement page and sign-in
// included, may not be framed by another site and runs only what crier
// serves, and the acknowledgement page's own style is allowed by hash.
func TestEveryAnswerCarriesTheProtectiveHeaders(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	links := &AckLinks{Secret: []byte("a-secret-for-the-test-0123456789"), TTL: time.Hour, Now: func() time.Time { return start }}
	f = f.withServer(Options{AckLinks: links})
	links.Base = f.http.URL
	ack := links.Link(notifiers.Message{Delivery: id + "/walkabout/1/r1/000", Message: id + "/walkabout/1", Type: "email",
		Target: "cohesion@northbridge.gov.uk", Stakeholder: "cohesion", AckRequested: true})
	b, _ := signedIn(t, f, "Val")
	for _, tc := range []struct {
		name, method, path, token string
		page                      bool // an HTML page
	}{
		{"sign-in page", "GET", "/login", "", true},
		{"a refused sign-in", "POST", "/login", "", true},
		{"dashboard", "GET", "/", "session", true},
		{"message page", "GET", "/ui/messages/" + id + "/statement/1", "session", true},
		{"acknowledgement page", "GET", strings.TrimPrefix(ack, f.http.URL), "", true},
		{"a changed acknowledgement link", "GET", "/ack/not-a-link", "", true},
		{"report as a page", "GET", "/api/v1/activations/" + id + "/report?format=html", token("Val"), true},
		{"report as Markdown", "GET", "/api/v1/activations/" + id + "/report?format=md", token("Val"), false},
		{"JSON", "GET", "/api/v1/runbooks", token("Val"), false},
		{"a JSON error", "GET", "/api/v1/runbooks", "", false},
		{"health", "GET", "/healthz", "", false},
		{"stylesheet", "GET", "/static/style.css", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h http.Header
			var body string
			if tc.token == "session" {
				_, body, h = b.do(tc.method, tc.path, nil)
			} else {
				var form url.Values
				if tc.method == "POST" {
					form = url.Values{"token": {"nope"}}
				}
				h, body = fetchWith(t, f.http.URL, tc.method, tc.path, tc.token, form)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			isPage := strings.HasPrefix(h.Get("Content-Type"), "text/html")
			if isPage != tc.page {
				t.Fatalf("Content-Type %q", h.Get("Content-Type"))
			}
			csp := h.Get("Content-Security-Policy")
			if tc.page && (h.Get("X-Frame-Options") != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'") ||
				!strings.Contains(csp, "default-src 'self'")) {
				t.Errorf("X-Frame-Options %q, Content-Security-Policy %q", h.Get("X-Frame-Options"), csp)
			}
			for _, style := range inlineStyle.FindAllStringSubmatch(body, -1) {
				if !strings.Contains(csp, "'sha256-"+hashOf(style[1])+"'") {
					t.Errorf("the page's inline style is not allowed by %q", csp)
				}
			}
		})
	}
}

var inlineStyle = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// fetchWith makes a request without cookies, with a bearer token if given
// and a form if given.
func fetchWith(t *testing.T, base, method, path, tok string, form url.Values) (http.Header, string) {
	t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.Header, string(data)
}

// A sign-in or a form posted from another site's page is refused before
// anything is done, even with the right token, cookie and CSRF token;
// the same posts from crier's own pages, and API calls from programs,
// go through.
func TestCrossSitePostsAreRefused(t *testing.T) {
	f := newFixture(t)
	b, csrf := signedIn(t, f, "Priya")
	id := f.activated()
	post := func(path string, form url.Values, headers map[string]string, jar bool) (int, http.Header, string) {
		req, _ := http.NewRequest("POST", f.http.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		c := &http.Client{CheckRedirect: b.client.CheckRedirect} // a stranger's: no cookies
		if jar {
			c = b.client
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(data)
	}
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	oldBrowser := map[string]string{"Origin": "https://evil.example"} // no Sec-Fetch-Site: Origin against Host
	sameOrigin := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": f.http.URL}
	login := url.Values{"token": {token("Val")}}
	decision := url.Values{"decision": {"Open the rest centre"}, "csrf": {csrf}, "idempotency_key": {newKey()}}
	for _, tc := range []struct {
		name    string
		path    string
		form    url.Values
		headers map[string]string
		jar     bool
		want    int
	}{
		{"sign-in from another site", "/login", login, crossSite, false, http.StatusForbidden},
		{"sign-in from another site, older browser", "/login", login, oldBrowser, false, http.StatusForbidden},
		{"decision from another site, with cookie and CSRF token", "/ui/activations/" + id + "/decisions", decision, crossSite, true, http.StatusForbidden},
		{"sign-in from crier's page", "/login", login, sameOrigin, false, http.StatusSeeOther},
		{"sign-in by a program", "/login", login, nil, false, http.StatusSeeOther},
	} {
		code, h, body := post(tc.path, tc.form, tc.headers, tc.jar)
		if code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
		if tc.want == http.StatusForbidden && (h.Get("Set-Cookie") != "" || !strings.Contains(body, "did not come from crier")) {
			t.Errorf("%s: cookie %q\n%s", tc.name, h.Get("Set-Cookie"), body)
		}
	}
	if n := f.decisions(id); n != 0 {
		t.Errorf("%d decisions recorded from another site", n)
	}
	decision.Set("idempotency_key", newKey())
	if code, _, _ := post("/ui/activations/"+id+"/decisions", decision, sameOrigin, true); code != http.StatusSeeOther || f.decisions(id) != 1 {
		t.Errorf("the decision from crier's own page: %d, %d decisions", code, f.decisions(id))
	}
}
