package server

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
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

// A page gives the last event it showed as ?after=: its first connection
// gets what was committed since, from the record, then what comes live;
// Last-Event-ID, when a browser reconnects, wins over it. An after= that
// is not an event's id is refused in words.
func TestEventStreamAfter(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	events, _ := f.engine.Read().EventsOf(nil, id)
	var want []string
	for _, e := range events[1:] {
		want = append(want, e.Kind)
	}
	got := f.readEvents(t, "?activation="+id+"&after="+events[0].ID, "", len(want)+1, func() {
		f.engine.Apply(context.Background(), &engine.RecordDecision{Activation: id, Decision: "Open a rest centre"})
	})
	if strings.Join(got, ",") != strings.Join(append(want, "decision_recorded"), ",") {
		t.Errorf("after the first event: %v, want %v and the decision", got, want)
	}
	last := events[len(events)-1].ID
	got = f.readEvents(t, "?activation="+id+"&after="+events[0].ID, last, 1, nil)
	if strings.Join(got, ",") != "decision_recorded" {
		t.Errorf("with Last-Event-ID as well: %v, want only what came after it", got)
	}
	for _, bad := range []string{"yesterday", "1", "00000000000000000001-0000<script>"} {
		code, body := f.call(token("Val"), "GET", "/api/v1/events?activation="+id+"&after="+url.QueryEscape(bad), nil)
		msg, _ := body["error"].(string)
		if code != http.StatusBadRequest || !strings.Contains(msg, "after= must be the id of an event") {
			t.Errorf("after=%q: %d %v", bad, code, body)
		}
	}
}
