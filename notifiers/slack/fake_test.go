package slack

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"
)

// fakeSlack speaks chat.postMessage as Slack does and enforces its
// limits: a message a second per channel (with a little slack for network
// jitter) and a workspace-wide rate; over them it answers 429 with a
// Retry-After in whole seconds. It refuses payloads as Slack does (see
// refuse) and replies to threads that do not exist. It can also fail
// chosen requests.
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
	posts     []post // every message accepted, in order
	refused   []string
	seq       int // for unique timestamps
}

// post is one message the fake accepted.
type post struct {
	channel, ts, threadTS, text string
	delivery                    string
	part, parts                 int
	blocks                      []slack.Block
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
	var blocks slack.Blocks
	if raw := r.Form.Get("blocks"); raw != "" && json.Unmarshal([]byte(raw), &blocks) != nil {
		f.answer(w, "invalid_blocks_format")
		return
	}
	if refusal := refuse(r.Form.Get("text"), blocks.BlockSet); refusal != "" {
		f.answer(w, refusal)
		return
	}
	threadTS := r.Form.Get("thread_ts")
	if threadTS != "" && !slices.ContainsFunc(f.posts, func(p post) bool { return p.channel == channel && p.ts == threadTS && p.threadTS == "" }) {
		f.answer(w, "thread_not_found")
		return
	}
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
		f.answer(w, "is_archived")
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
			Part     int    `json:"part"`
			Parts    int    `json:"parts"`
		} `json:"event_payload"`
	}
	_ = json.Unmarshal([]byte(r.Form.Get("metadata")), &meta)
	d := meta.EventPayload
	if d.Part <= 1 { // a whole message, or the first part of a thread
		f.delivered[d.Delivery]++
		f.order[channel] = append(f.order[channel], d.Delivery)
	}
	f.seq++
	ts := fmt.Sprintf("%d.%06d", now.Unix(), f.seq)
	f.posts = append(f.posts, post{channel: channel, ts: ts, threadTS: threadTS, text: r.Form.Get("text"),
		delivery: d.Delivery, part: d.Part, parts: d.Parts, blocks: blocks.BlockSet})
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, channel, ts)
}

// answer refuses a request as Slack does: 200 with ok false.
func (f *fakeSlack) answer(w http.ResponseWriter, slackErr string) {
	f.refused = append(f.refused, slackErr)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":false,"error":%q}`, slackErr)
}

// refuse says why Slack would refuse a message, or "": more than maxBlocks
// blocks, a section's text over maxSection characters or a header's over
// maxHeader (invalid_blocks), more than maxBlocksText characters in all
// the blocks (msg_blocks_too_long), a text over maxText (msg_too_long).
// It counts characters as UTF-16 units, as Slack's JavaScript clients do
// (an emoji is two), which is no fewer than runes.
func refuse(text string, blocks []slack.Block) string {
	chars := func(s string) int { return len(utf16.Encode([]rune(s))) }
	if chars(text) > maxText {
		return "msg_too_long"
	}
	if len(blocks) > maxBlocks {
		return "invalid_blocks"
	}
	total := 0
	for _, b := range blocks {
		var texts []*slack.TextBlockObject
		limit := maxSection
		switch b := b.(type) {
		case *slack.SectionBlock:
			texts = append(texts, b.Text)
		case *slack.HeaderBlock:
			texts, limit = append(texts, b.Text), maxHeader
		case *slack.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if t, ok := el.(*slack.TextBlockObject); ok {
					texts = append(texts, t)
				}
			}
		case *slack.ActionBlock:
			for _, el := range b.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok {
					texts = append(texts, btn.Text)
				}
			}
		}
		for _, t := range texts {
			if t == nil || t.Validate() != nil || chars(t.Text) > limit {
				return "invalid_blocks"
			}
			total += chars(t.Text)
		}
	}
	if total > maxBlocksText {
		return "msg_blocks_too_long"
	}
	return ""
}
