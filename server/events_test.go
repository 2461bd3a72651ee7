package server

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

// readEvents opens the stream and returns the kinds of the first n events.
func (f *fixture) readEvents(t *testing.T, query, lastID string, n int, then func()) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.http.URL+"/api/v1/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token("Val"))
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	if then != nil {
		go then()
	}
	var kinds []string
	sc := bufio.NewScanner(resp.Body)
	for len(kinds) < n && sc.Scan() {
		if kind, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			kinds = append(kinds, kind)
		}
	}
	return kinds
}

// The stream sends what happens as it is committed, and a client that
// reconnects with Last-Event-ID first gets what it missed.
func TestEventStream(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	// Live: a decision recorded once the stream is open (its headers
	// come after it has subscribed) arrives on it.
	got := f.readEvents(t, "?activation="+id, "", 1, func() {
		f.engine.Apply(context.Background(), &engine.RecordDecision{Activation: id, Decision: "Open a rest centre"})
	})
	if strings.Join(got, ",") != "decision_recorded" {
		t.Errorf("live: %v", got)
	}
	// Catching up: everything after the first event, from the record.
	events, _ := f.engine.Read().EventsOf(nil, id)
	got = f.readEvents(t, "?activation="+id, events[0].ID, len(events)-1, nil)
	want := []string{}
	for _, e := range events[1:] {
		want = append(want, e.Kind)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("catching up: %v, want %v", got, want)
	}
}
