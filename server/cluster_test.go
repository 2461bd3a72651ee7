package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/record"
)

// A command another node passes on is applied once: signed with the
// cluster's secret, never replayed.
func TestCommandsPassedOnAreSignedOnce(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	secret := "the-cluster-secret-0123456789"
	srv := httptest.NewServer(New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start }, ClusterSecret: secret}).Internal())
	defer srv.Close()
	command, _ := engine.EncodeCommand(&engine.RecordDecision{Meta: engine.Meta{Actor: "planner@northbridge.gov.uk"}, Activation: id, Decision: "Open the rest centre"})
	send := func(sig string) int {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", srv.URL+"/internal/v1/apply", bytes.NewReader(command))
		req.Header.Set(record.SignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sig := record.Sign(secret, "/internal/v1/apply", command, start)
	if code := send(sig); code != http.StatusOK {
		t.Errorf("signed: %d", code)
	}
	if code := send(sig); code != http.StatusUnauthorized {
		t.Errorf("the same request again: %d", code)
	}
	for name, again := range respelled(sig) {
		if code := send(again); code != http.StatusUnauthorized {
			t.Errorf("the same request again, its signature %s (%q): %d", name, again, code)
		}
	}
	if code := send(record.Sign("another-secret-0123456789", "/internal/v1/apply", command, start)); code != http.StatusUnauthorized {
		t.Errorf("signed with another secret: %d", code)
	}
	// The API's own address does not serve the nodes' routes: they come
	// only over the nodes' mutual TLS.
	public := httptest.NewServer(New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start }, ClusterSecret: secret}))
	defer public.Close()
	req, _ := http.NewRequestWithContext(context.Background(), "POST", public.URL+"/internal/v1/apply", bytes.NewReader(command))
	req.Header.Set(record.SignatureHeader, record.Sign(secret, "/internal/v1/apply", command, start))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("a signed command on the API's address was applied")
	}
	if ds, _ := f.engine.Read().DecisionsOf(nil, id); len(ds) != 1 {
		t.Errorf("%d decisions, want the one", len(ds))
	}
}

// respelled is a captured signature header written other ways: the same
// bytes, which must not pass as another request.
func respelled(sig string) map[string]string {
	t, rest, _ := strings.Cut(sig, ",")
	id, s, _ := strings.Cut(rest, ",s=")
	return map[string]string{
		"in upper case":      strings.ToUpper(sig),
		"its hex upper case": t + "," + id + ",s=" + strings.ToUpper(s),
		"without t=":         strings.TrimPrefix(sig, "t="),
		"with spaces":        t + ", " + id + ", s=" + s,
		"with outer spaces":  "  " + sig + "  ", // trimmed by HTTP itself: the same header, refused as seen
		"with a leading 0":   "t=0" + strings.TrimPrefix(sig, "t="),
	}
}
