package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// IdempotencyKeyHeader carries a request's idempotency key.
const IdempotencyKeyHeader = "Idempotency-Key"

// formKeyField is the web forms' idempotency key, made when the page is
// rendered, so that a double click or a reload of a POST is one action.
const formKeyField = "idempotency_key"

// parseKey reads an idempotency key: a Structured Fields string (RFC 8941:
// "..." with \" and \\ the only escapes) as the draft has it, or the same
// characters without the quotes. It is 1 to 255 visible ASCII characters.
func parseKey(v string) (string, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, `"`) {
		var b strings.Builder
		closed := false
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch {
			case closed:
				return "", errors.New("nothing may follow the closing quote")
			case c == '\\' && i+1 < len(v) && (v[i+1] == '"' || v[i+1] == '\\'):
				b.WriteByte(v[i+1])
				i++
			case c == '\\':
				return "", errors.New(`only \" and \\ may be escaped`)
			case c == '"':
				closed = true
			default:
				b.WriteByte(c)
			}
		}
		if !closed {
			return "", errors.New("the closing quote is missing")
		}
		v = b.String()
	}
	if v == "" || len(v) > 255 {
		return "", errors.New("it must be 1 to 255 characters")
	}
	for i := range len(v) {
		if v[i] < 0x20 || v[i] > 0x7e {
			return "", errors.New("it must be visible ASCII characters and spaces")
		}
	}
	return v, nil
}

// newKey is a fresh random idempotency key.
func newKey() string { return rand.Text() }

// fingerprint is what makes two requests the same one: method, path with
// query, and body.
func fingerprint(r *http.Request, body []byte) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s %d\n", r.Method, r.URL.RequestURI(), len(body))
	h.Write(body)
	return [32]byte(h.Sum(nil))
}

// changes reports whether a request may change something: every method
// but GET, HEAD and OPTIONS.
func changes(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// onceForAPI carries out an API request that carries an Idempotency-Key at
// most once: a repeat gets the first answer; the key with another request
// is 422, and a repeat while the first is under way 409.
func (s *Server) onceForAPI(w http.ResponseWriter, r *http.Request, u *User, handle func(http.ResponseWriter, *http.Request, *User)) {
	values := r.Header.Values(IdempotencyKeyHeader)
	if len(values) > 1 {
		writeError(w, http.StatusBadRequest, "bad_request", "give one Idempotency-Key, not "+strconv.Itoa(len(values)))
		return
	}
	key, err := parseKey(values[0])
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", `the Idempotency-Key is not one crier takes: `+err.Error()+
			`; send a new random one for each action, such as "`+newKey()+`"`)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	use, seen := s.keys.use(idemKey{user: u.digest, key: key}, fingerprint(r, body))
	switch seen {
	case seenOther:
		writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this Idempotency-Key was used for another request (another method, path or body): use a new key for each action")
	case seenInProgress:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusConflict, "idempotency_key_in_use",
			"a request with this Idempotency-Key is still being carried out: send it again when it has finished to get its answer")
	case seenAnswered:
		replay(w, use.answer)
	default:
		s.carryOut(w, r, use, func(w http.ResponseWriter) { handle(w, r, u) })
	}
}

// onceForForm carries out a web form at most once, by the key the page
// put in it. A repeat while the first is under way (a double click) waits
// for it, and both get its answer: the browser shows the last one it asked
// for.
func (s *Server) onceForForm(w http.ResponseWriter, r *http.Request, u *User, handle func(http.ResponseWriter, *http.Request, *User)) {
	key, err := parseKey(r.PostFormValue(formKeyField))
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "error.html", &page{Title: "Not done", User: u,
			Error: "This form came from an older page. Nothing was done: go back, reload the page and try again."})
		return
	}
	k, fp := idemKey{user: u.digest, key: key}, fingerprint(r, []byte(r.PostForm.Encode()))
	for {
		use, seen := s.keys.use(k, fp)
		switch seen {
		case seenInProgress:
			select {
			case <-use.done:
				continue // then answered, or let go
			case <-r.Context().Done():
				return
			}
		case seenOther:
			s.render(w, r, http.StatusUnprocessableEntity, "error.html", &page{Title: "Not done", User: u,
				Error: "This form was already used for something else. Nothing more was done: go back, reload the page and try again."})
		case seenAnswered:
			replay(w, use.answer)
		default:
			s.carryOut(w, r, use, func(w http.ResponseWriter) { handle(w, r, u) })
		}
		return
	}
}

// carryOut answers a key's first request and keeps its answer. If it
// fails without an answer (a panic), the key is let go.
func (s *Server) carryOut(w http.ResponseWriter, r *http.Request, use *keyUse, handle func(http.ResponseWriter)) {
	rec := &recorder{ResponseWriter: w}
	answered := false
	defer func() {
		if !answered {
			s.keys.forget(use)
		}
	}()
	handle(rec)
	s.keys.finish(use, rec.answer())
	answered = true
}

// replay gives an answer again as it was first given.
func replay(w http.ResponseWriter, a *answer) {
	for k, v := range a.header {
		w.Header()[k] = slices.Clone(v)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// recorder passes an answer on and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status, rec.header = status, rec.ResponseWriter.Header().Clone()
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	rec.body.Write(p)
	return rec.ResponseWriter.Write(p)
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *recorder) answer() *answer {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	return &answer{status: rec.status, header: rec.header, body: bytes.Clone(rec.body.Bytes())}
}
