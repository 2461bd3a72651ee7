package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
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
	srv := httptest.NewServer(New(Options{Engine: f.engine, Library: f.lib, Users: people, Now: func() time.Time { return start }, ClusterSecret: secret}))
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
	if code := send(record.Sign("another-secret-0123456789", "/internal/v1/apply", command, start)); code != http.StatusUnauthorized {
		t.Errorf("signed with another secret: %d", code)
	}
	if ds, _ := f.engine.Read().DecisionsOf(nil, id); len(ds) != 1 {
		t.Errorf("%d decisions, want the one", len(ds))
	}
}
