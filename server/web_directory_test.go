package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// withCSRF is a signed-in browser with the CSRF token of its session.
func (f *fixture) withCSRF(tok string) (*browser, string) {
	f.t.Helper()
	b := f.signedIn(tok)
	_, body, _ := b.do("GET", "/", nil)
	csrf := csrfField.FindStringSubmatch(body)
	if csrf == nil {
		f.t.Fatalf("no CSRF token on the dashboard:\n%s", body)
	}
	return b, csrf[1]
}

// The directory page says plainly when there is no directory, and how to
// add one. With one, anyone signed in sees who is on each rota's duty,
// how to call or email them, until when and who is next, then the
// organisations' people and the lists (never a row); a viewer gets no
// cover form and no editor.
func TestWebDirectoryPage(t *testing.T) {
	f := newFixture(t)
	b, _ := f.withCSRF(token("Val"))
	code, body, _ := b.do("GET", "/ui/directory", nil)
	if code != http.StatusOK || !strings.Contains(body, "There is no directory in crier yet") || !strings.Contains(body, "docs/directory.md") {
		t.Errorf("no directory: %d\n%s", code, body)
	}
	f.withDirectory(strings.Replace(northbridge, "Bryn Evans", "Bryn <b>Evans</b>", 1))
	code, body, _ = b.do("GET", "/ui/directory", nil)
	for _, want := range []string{
		`<a href="/ui/directory">Directory</a>`,
		`<strong>Bryn &lt;b&gt;Evans&lt;/b&gt;</strong> <span class="muted">Northbridge Council</span>`,
		`<a href="mailto:bryn.evans@northbridge.gov.uk">`,
		`Until <strong>Mon 23 Nov 09:00</strong>, then <strong>Asha Patel</strong>.`,
		`Cover to come: Chen Li from Thu 24 Dec 17:00 until Tue 29 Dec 09:00.`,
		`set by crier serve on Sun 22 Nov 2026 09:00 GMT`,
		`<a href="tel:&#43;447700900303">&#43;447700900303</a>`,
		`Vulnerable residents`, `lists/vulnerable.csv`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if code != http.StatusOK || strings.Contains(body, "Put someone on cover") || strings.Contains(body, "/ui/directory/edit") {
		t.Errorf("a viewer's page: %d, with the planners' forms", code)
	}
	if code, _, _ := b.do("GET", "/ui/directory/edit", nil); code != http.StatusForbidden {
		t.Errorf("a viewer opened the editor: %d", code)
	}
	// The page's download link works with the session alone.
	if code, body, _ := b.do("GET", "/api/v1/directory?format=yaml", nil); code != http.StatusOK || !strings.HasPrefix(body, "kind: directory\n") {
		t.Errorf("the download: %d\n%s", code, body)
	}
}

// A planner puts someone on cover from the page: they are on duty at once
// and the page says it is a cover. An overlapping cover is refused on the
// rota's own form, which opens again with what was chosen.
func TestWebCover(t *testing.T) {
	f := newFixture(t)
	f.withDirectory(northbridge)
	b, csrf := f.withCSRF(token("Priya"))
	code, body := b.post("/ui/directory/rotas/duty-comms/cover", url.Values{"csrf": {csrf}, "person": {"chen"}, "from": {"2026-11-22T08:00"}, "until": {"2026-11-23T12:00"}})
	for _, want := range []string{
		`The cover is in the directory, and in force for the times given.`,
		`<strong>Chen Li</strong> <span class="muted">Northbridge Police</span>`,
		`<strong>Cover:</strong> Chen Li is covering, from Sun 22 Nov 08:00 until Mon 23 Nov 12:00, in place of the rota&#39;s turn.`,
		`Until <strong>Mon 23 Nov 12:00</strong>, then <strong>Asha Patel</strong>.`,
		`set by Priya Planner`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("after the cover (%d), the page lacks %q", code, want)
		}
	}
	code, body = b.post("/ui/directory/rotas/duty-comms/cover", url.Values{"csrf": {csrf}, "person": {"asha"}, "from": {"2026-11-23T10:00"}, "until": {"2026-11-23T14:00"}})
	for _, want := range []string{
		`<details class="cover-form" open>`,
		`overlaps the one at line 22 (2026-11-22 08:00 until 2026-11-23 12:00)`,
		`<option value="asha" selected>Asha Patel</option>`,
		`value="2026-11-23T14:00"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused cover (%d): the page lacks %q", code, want)
		}
	}
	if code != http.StatusUnprocessableEntity {
		t.Errorf("the refused cover: %d", code)
	}
}

// A planner edits the whole file: saved, it is in force with them as who
// set it. A text with a mistake is refused with each problem and the line
// it is on, above the text as they typed it; nothing is saved.
func TestWebEditDirectory(t *testing.T) {
	f := newFixture(t)
	f.withDirectory(northbridge)
	b, csrf := f.withCSRF(token("Priya"))
	_, page, _ := b.do("GET", "/ui/directory/edit", nil)
	if !strings.Contains(page, "autocomplete=\"off\">\nkind: directory\nversion: 1\n") {
		t.Fatalf("the editor:\n%s", page)
	}
	version := f.engine.DirectoryRecord().Version
	bad := strings.ReplaceAll(strings.Replace(northbridge, "people: [asha, bryn]", "people: [asha, dana]", 1), "\n", "\r\n")
	code, body := b.post("/ui/directory/edit", url.Values{"csrf": {csrf}, "source": {bad}, "version": {strconv.FormatUint(version, 10)}})
	for _, want := range []string{
		`The directory is not valid: 1 problem.`,
		`directory.yaml:17:20: rotas[0].people[1]: no person has id &#34;dana&#34;`,
		`<code class="line">    people: [asha, dana]    # in turn</code>`,
		"people: [asha, dana]    # in turn\n    start: 2026-01-05\n", // the text as typed
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused edit (%d): the page lacks %q", code, want)
		}
	}
	if f.engine.DirectoryRecord().Version != version {
		t.Error("a refused edit was saved")
	}
	good := strings.Replace(northbridge, "people: [asha, bryn]", "people: [bryn, asha]", 1)
	code, body = b.post("/ui/directory/edit", url.Values{"csrf": {csrf}, "source": {strings.ReplaceAll(good, "\n", "\r\n")}, "version": {strconv.FormatUint(version, 10)}})
	if rec := f.engine.DirectoryRecord(); code != http.StatusOK || string(rec.Source) != good || rec.By != "Priya Planner" ||
		!strings.Contains(body, "The directory is saved and in force") || !strings.Contains(body, "<strong>Asha Patel</strong>") {
		t.Errorf("saved: %d, by %s:\n%s", code, rec.By, rec.Source)
	}
	// Saving the text in force again changes nothing.
	again := f.engine.DirectoryRecord().Version
	code, body = b.post("/ui/directory/edit", url.Values{"csrf": {csrf}, "source": {good}, "version": {strconv.FormatUint(again, 10)}})
	if f.engine.DirectoryRecord().Version != again || !strings.Contains(body, "Nothing was changed") {
		t.Errorf("saving the same text: %d, version %d (was %d)", code, f.engine.DirectoryRecord().Version, again)
	}
	// A page opened before that save is refused: the other change is not lost.
	code, body = b.post("/ui/directory/edit", url.Values{"csrf": {csrf}, "source": {northbridge}, "version": {strconv.FormatUint(version, 10)}})
	if code != http.StatusConflict || !strings.Contains(body, "Priya Planner changed the directory at") || f.engine.DirectoryRecord().Source == nil ||
		string(f.engine.DirectoryRecord().Source) != good {
		t.Errorf("a stale save: %d", code)
	}
}
