package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

// FuzzAPIBodies sends arbitrary bodies to every API route that reads one,
// as an admin (past every role check): whatever the body, the answer is
// a 2xx or a 4xx that says why in JSON — never a 500, never a panic.
func FuzzAPIBodies(f *testing.F) {
	for _, seed := range []string{
		`{"runbook":"tension","mode":"exercise","params":{"area":"Eastfield"}}`,
		`{"decision":"Open a rest centre","rationale":"r","information":"i"}`,
		`{"to":["public"],"body":"A second incident"}`,
		`{"speed":60}`, `{"reason":"all clear"}`, `{"subject":"s","body":"b"}`, `{"revision":1}`, `{"to":"cohesion"}`,
		`{"for":"cohesion"}`, ``, `null`, `[]`, `{"speed":1e308}`, `{"params":{"area":"\u0000"}}`, `{"mode":"live"}{}`,
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tension.yaml"), []byte(statement), 0o644); err != nil {
		f.Fatal(err)
	}
	lib, err := NewLibrary([]string{dir})
	if err != nil {
		f.Fatal(err)
	}
	e, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(start)})
	if err != nil {
		f.Fatal(err)
	}
	srv := New(Options{Engine: e, Library: lib, Users: people, Now: func() time.Time { return start }})
	index, err := e.Apply(context.Background(), &engine.Activate{Meta: engine.Meta{Actor: "Ada Admin"}, Source: []byte(statement),
		SourceName: "tension.yaml", Mode: "exercise", Params: map[string]string{"area": "Eastfield"}})
	if err != nil {
		f.Fatal(err)
	}
	id := engine.ActivationID(index) // its statement and walkabout, due at the start, fired with it
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/activations"},
		{"POST", "/api/v1/activations/" + id + "/decisions"},
		{"POST", "/api/v1/activations/" + id + "/injects"},
		{"POST", "/api/v1/activations/" + id + "/speed"},
		{"PUT", "/api/v1/messages/" + id + "/statement/1"},
		{"POST", "/api/v1/messages/" + id + "/statement/1/reject"},
		{"POST", "/api/v1/messages/" + id + "/statement/1/approve"},
		{"POST", "/api/v1/messages/" + id + "/statement/1/ack"},
		{"POST", "/api/v1/tasks/" + id + "/walkabout/1/reassign"},
		{"POST", "/api/v1/tasks/" + id + "/walkabout/1/ack"},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, rt := range routes {
			req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token("Ada"))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code >= 500 || w.Code >= 400 && !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("%s %s with %q: %d %s", rt.method, rt.path, body, w.Code, w.Body.String())
			}
			if w.Code == http.StatusTooManyRequests {
				t.Fatalf("the admin was rate-limited: %s", w.Body.String())
			}
		}
	})
}
