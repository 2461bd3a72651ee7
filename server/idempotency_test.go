package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// sent is an API answer as a client sees it.
type sent struct {
	status int
	header http.Header
	body   string
}

// send makes an API request as the holder of tok, with an Idempotency-Key
// when key is not "".
func (f *fixture) send(tok, method, path, body, key string) sent {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return sent{resp.StatusCode, resp.Header, string(data)}
}

func (f *fixture) decisions(activation string) int {
	f.t.Helper()
	ds, err := f.engine.Read().DecisionsOf(nil, activation)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(ds)
}

// A decision sent twice with one Idempotency-Key, as a client does when
// the first answer is lost, is recorded once, and both answers are the
// same; the key with another body, or another path, is refused (422) and
// records nothing; keys are each user's own; without a key every request
// is an action.
func TestIdempotencyKeyOverTheAPI(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	path := "/api/v1/activations/" + id + "/decisions"
	body := `{"decision": "Open Mill Lane rest centre", "rationale": "40 homes evacuated"}`
	key := `"8e03978e-40d5-43e8-bc93-6894a57f9324"`

	first := f.send(token("Priya"), "POST", path, body, key)
	again := f.send(token("Priya"), "POST", path, body, key)
	if first.status != http.StatusCreated || !strings.Contains(first.body, "Open Mill Lane rest centre") {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	if again.status != first.status || again.body != first.body || again.header.Get("Content-Type") != first.header.Get("Content-Type") {
		t.Errorf("the repeat's answer differs:\n%d %s\n%d %s", first.status, first.body, again.status, again.body)
	}
	if n := f.decisions(id); n != 1 {
		t.Errorf("%d decisions recorded, want 1", n)
	}
	for name, r := range map[string]sent{
		"another body": f.send(token("Priya"), "POST", path, `{"decision": "Close Mill Lane rest centre"}`, key),
		"another path": f.send(token("Priya"), "POST", "/api/v1/activations/"+id+"/speed", `{"speed": 2}`, key),
	} {
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"code": "idempotency_key_reused"`) ||
			!strings.Contains(r.body, "use a new key for each action") {
			t.Errorf("%s with the same key: %d %s", name, r.status, r.body)
		}
	}
	if n := f.decisions(id); n != 1 {
		t.Errorf("%d decisions recorded after the key was reused, want 1", n)
	}
	// The same key from someone else is theirs.
	if r := f.send(token("Ada"), "POST", path, body, key); r.status != http.StatusCreated || f.decisions(id) != 2 {
		t.Errorf("another user's key: %d, %d decisions", r.status, f.decisions(id))
	}
	// A refusal is the first answer too: the same key gets it again, even
	// once what was refused would be allowed.
	halt := "/api/v1/activations/" + id + "/halt"
	if r := f.send(token("Priya"), "POST", halt, `{"reason": ""}`, `"halt-1"`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("a halt without a reason: %d %s", r.status, r.body)
	}
	// The key written without quotes is the same key.
	if r := f.send(token("Priya"), "POST", halt, `{"reason": ""}`, `halt-1`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("the refusal repeated: %d %s", r.status, r.body)
	}
	for _, bad := range []string{`""`, `"unclosed`, `"a" b`, strings.Repeat("k", 256), "caf\u00e9"} {
		if r := f.send(token("Priya"), "POST", path, body, bad); r.status != http.StatusBadRequest || !strings.Contains(r.body, "Idempotency-Key") {
			t.Errorf("key %q: %d %s", bad, r.status, r.body)
		}
	}
	f.send(token("Priya"), "POST", path, body, "")
	f.send(token("Priya"), "POST", path, body, "")
	if n := f.decisions(id); n != 4 {
		t.Errorf("%d decisions after two without a key, want 4", n)
	}
}

// A request sent again while the first with its key is still being carried
// out is told so (409) over the API; from a web form (a double click) it
// waits for the first and gets its answer. Either way the action is done once.
func TestIdempotencyKeyInProgress(t *testing.T) {
	for _, web := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			s := New(Options{Now: func() time.Time { return start }})
			u := &User{Name: "Priya Planner", Roles: []string{RolePlanner}}
			release := make(chan struct{})
			var runs atomic.Int32
			slow := func(w http.ResponseWriter, _ *http.Request, _ *User) {
				runs.Add(1)
				<-release
				w.Header().Set("Location", "/ui/activations/a-000001")
				w.WriteHeader(http.StatusSeeOther)
			}
			request := func() *http.Request {
				form := url.Values{"decision": {"Open the rest centre"}, formKeyField: {"k-1"}}
				r := httptest.NewRequest("POST", "/ui/activations/a-000001/decisions", strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set(IdempotencyKeyHeader, `"k-1"`)
				return r
			}
			once := s.onceForAPI
			if web {
				once = s.onceForForm
			}
			first, second := httptest.NewRecorder(), httptest.NewRecorder()
			go once(first, request(), u, slow)
			synctest.Wait()
			go once(second, request(), u, slow)
			synctest.Wait()
			if web && second.Body.Len() != 0 {
				t.Errorf("a double click was answered before the first click: %d %s", second.Code, second.Body)
			}
			if !web && (second.Code != http.StatusConflict || !strings.Contains(second.Body.String(), "still being carried out")) {
				t.Errorf("the API's repeat under way: %d %s", second.Code, second.Body)
			}
			close(release)
			synctest.Wait()
			if runs.Load() != 1 || first.Code != http.StatusSeeOther {
				t.Errorf("web %v: carried out %d times; first answer %d", web, runs.Load(), first.Code)
			}
			if web && (second.Code != first.Code || second.Header().Get("Location") != first.Header().Get("Location")) {
				t.Errorf("the double click's answer: %d %s", second.Code, second.Header().Get("Location"))
			}
		})
	}
}

// The keys kept are bounded: at most so many per user and in all, and so
// many bytes of answers, the oldest let go first; and each lasts a day by
// the server's clock.
func TestIdempotencyKeysAreBounded(t *testing.T) {
	now := start
	ks := newKeys(func() time.Time { return now })
	ks.perUser, ks.inAll, ks.maxBytes = 2, 3, 4000
	ann, bob := [32]byte{1}, [32]byte{2}
	fp := [32]byte{9}
	answered := func(user [32]byte, key string, size int) {
		t.Helper()
		u, seen := ks.use(idemKey{user, key}, fp)
		if seen != seenFirst {
			t.Fatalf("%s: seen %d, want first", key, seen)
		}
		ks.finish(u, &answer{status: 200, body: bytes.Repeat([]byte("x"), size)})
	}
	kept := func(user [32]byte, key string) bool {
		_, ok := ks.uses[idemKey{user, key}]
		return ok
	}
	answered(ann, "a1", 10)
	answered(ann, "a2", 10)
	answered(ann, "a3", 10) // Ann has two at most
	if kept(ann, "a1") || !kept(ann, "a2") || !kept(ann, "a3") {
		t.Error("Ann's oldest key was not the one let go")
	}
	answered(bob, "b1", 10)
	answered(bob, "b2", 10) // three in all
	if kept(ann, "a2") || !kept(ann, "a3") || !kept(bob, "b2") || len(ks.uses) != 3 {
		t.Errorf("in all: %d kept", len(ks.uses))
	}
	answered(bob, "b3", 3000) // past 4,000 bytes kept
	if kept(ann, "a3") || kept(bob, "b1") || !kept(bob, "b3") {
		t.Errorf("by size: %d kept", len(ks.uses))
	}
	if _, seen := ks.use(idemKey{bob, "b3"}, fp); seen != seenAnswered {
		t.Errorf("within the day: seen %d", seen)
	}
	now = now.Add(keyLife)
	if _, seen := ks.use(idemKey{bob, "b3"}, fp); seen != seenFirst || len(ks.uses) != 1 {
		t.Errorf("a day later: seen %d, %d kept", seen, len(ks.uses))
	}
}
