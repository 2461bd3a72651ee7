package slack

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// fakeSlack speaks chat.postMessage as Slack does and enforces its
// limits: a message a second per channel (with a little slack for network
// jitter) and a workspace-wide rate; over them it answers 429 with a
// Retry-After in whole seconds. It can also fail chosen requests.
type fakeSlack struct {
	*httptest.Server
	perChannel time.Duration
	workspace  *rate.Limiter
	// fail answers a request to a channel instead of Slack: its status,
	// or 0 to accept. n counts that channel's requests from 1.
	fail func(channel string, n int) int

	mu        sync.Mutex
	last      map[string]time.Time
	requests  map[string]int
	delivered map[string]int // by delivery id, from the message metadata
	order     map[string][]string
	limited   int
	total     int
}

func newFakeSlack(perChannel time.Duration, workspacePerSecond float64) *fakeSlack {
	f := &fakeSlack{perChannel: perChannel, workspace: rate.NewLimiter(rate.Limit(workspacePerSecond), max(1, int(workspacePerSecond))),
		last: map[string]time.Time{}, requests: map[string]int{}, delivered: map[string]int{}, order: map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/chat.postMessage" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	channel := r.Form.Get("channel")
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.total++
	f.requests[channel]++
	if f.fail != nil {
		if status := f.fail(channel, f.requests[channel]); status != 0 {
			if status == http.StatusTooManyRequests {
				f.limited++
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(status)
			return
		}
	}
	if channel == "archived" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":false,"error":"is_archived"}`)
		return
	}
	const jitter = 50 * time.Millisecond
	wait := time.Duration(0)
	if last, ok := f.last[channel]; ok {
		wait = last.Add(f.perChannel - jitter).Sub(now)
	}
	res := f.workspace.ReserveN(now, 1)
	wait = max(wait, res.DelayFrom(now))
	if wait > 0 {
		res.CancelAt(now)
		f.limited++
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	f.last[channel] = now
	var meta struct {
		EventPayload struct {
			Delivery string `json:"delivery"`
		} `json:"event_payload"`
	}
	_ = json.Unmarshal([]byte(r.Form.Get("metadata")), &meta)
	f.delivered[meta.EventPayload.Delivery]++
	f.order[channel] = append(f.order[channel], meta.EventPayload.Delivery)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"%d.000100"}`, channel, now.Unix())
}
