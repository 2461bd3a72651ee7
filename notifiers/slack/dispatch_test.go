package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/crierhq/crier/notifiers"
	"github.com/slack-go/slack"
)

// outcomes is a notifiers.Recorder that keeps the final word on each
// message.
type outcomes struct {
	mu  sync.Mutex
	got map[string]notifiers.Outcome
}

func (o *outcomes) Attempting(_ context.Context, ms []notifiers.Message) ([]notifiers.Message, error) {
	return ms, nil
}

func (o *outcomes) Finished(_ context.Context, os []notifiers.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, x := range os {
		o.got[x.Message.Delivery] = x
	}
}

// send posts ms through a dispatcher to the fake and returns the outcomes.
func send(t testing.TB, f *fakeSlack, route func(*Notifier) notifiers.Route, ms []notifiers.Message) map[string]notifiers.Outcome {
	rec := &outcomes{got: map[string]notifiers.Outcome{}}
	d := notifiers.NewDispatcher(notifiers.DispatchOptions{Routes: map[string]notifiers.Route{"slack": route(New("xoxb-test", f.URL+"/", http.DefaultClient))}}, rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	d.Submit(ms...)
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return rec.got
}

func toChannels(channels, each int) []notifiers.Message {
	var ms []notifiers.Message
	for i := range each {
		for c := range channels {
			m := drill
			m.Target = fmt.Sprintf("#area-%02d", c)
			m.Delivery = fmt.Sprintf("a-000001/update/1/r1/%03d", len(ms))
			m.Body = fmt.Sprintf("Update %d", i)
			ms = append(ms, m)
		}
	}
	return ms
}

// Slack's 429 with Retry-After and its 500s are waited out and retried; a
// channel Slack refuses fails alone; each message arrives once, in order.
func TestFaultsOnTheWire(t *testing.T) {
	f := newFakeSlack(0, 1000)
	defer f.Close()
	f.fail = func(channel string, n int) int {
		switch {
		case channel == "area-00" && n == 1:
			return http.StatusTooManyRequests
		case channel == "area-01" && n <= 2:
			return http.StatusInternalServerError
		}
		return 0
	}
	ms := toChannels(3, 3)
	ms = append(ms, notifiers.Message{Delivery: "a-000001/update/1/r1/999", Type: "slack", Target: "#archived", Body: "x"})
	got := send(t, f, func(n *Notifier) notifiers.Route {
		return notifiers.Route{Notifier: n, PerTarget: notifiers.Limit{Rate: 100, Burst: 1}}
	}, ms)
	for _, m := range ms {
		o := got[m.Delivery]
		if m.Target == "#archived" {
			if o.Err == nil || !strings.Contains(o.Err.Error(), "is_archived") || o.Attempts != 1 {
				t.Errorf("archived: %+v", o)
			}
		} else if o.Err != nil {
			t.Errorf("%s to %s: %v", m.Delivery, m.Target, o.Err)
		}
	}
	for id, n := range f.delivered {
		if n != 1 {
			t.Errorf("%s arrived %d times", id, n)
		}
	}
	if len(f.delivered) != len(ms)-1 || f.limited != 1 {
		t.Errorf("%d delivered of %d, %d rate limited", len(f.delivered), len(ms), f.limited)
	}
	for ch, order := range f.order {
		if !slices.IsSorted(order) {
			t.Errorf("%s out of order: %v", ch, order)
		}
	}
}

// An approval request carries Approve and Reject buttons for its message
// and revision; a message wanting acknowledgement, an Acknowledge button.
func TestButtons(t *testing.T) {
	req := drill
	req.Kind, req.Revision, req.Delivery = notifiers.KindApprovalRequest, 2, "a-000001/holding-statement/1/r2/approval-request"
	req.Message = "a-000001/holding-statement/1"
	ack := drill
	ack.AckRequested, ack.Revision, ack.Delivery, ack.Target = true, 1, "a-000001/holding-statement/1/r1/004", "U012AB3CD"
	ack.Message = "a-000001/holding-statement/1"
	for _, tc := range []struct {
		m       notifiers.Message
		actions []string
		want    ActionValue
	}{
		{req, []string{ActionApprove, ActionReject}, ActionValue{Activation: "a-000001", Message: "a-000001/holding-statement/1", Revision: 2}},
		{ack, []string{ActionAcknowledge}, ActionValue{Activation: "a-000001", Message: "a-000001/holding-statement/1", Revision: 1, Delivery: ack.Delivery}},
		{drill, nil, ActionValue{}},
	} {
		raw, _ := json.Marshal(slack.Blocks{BlockSet: Blocks(tc.m)})
		var blocks slack.Blocks
		if err := json.Unmarshal(raw, &blocks); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range blocks.BlockSet {
			a, ok := b.(*slack.ActionBlock)
			if !ok {
				continue
			}
			for _, el := range a.Elements.ElementSet {
				btn := el.(*slack.ButtonBlockElement)
				action, v, err := ParseAction(&slack.BlockAction{ActionID: btn.ActionID, Value: btn.Value})
				if err != nil || v != tc.want {
					t.Errorf("%s: %+v, %v; want %+v", action, v, err, tc.want)
				}
				got = append(got, action)
			}
		}
		if !slices.Equal(got, tc.actions) {
			t.Errorf("%s: buttons %v, want %v", tc.m.Delivery, got, tc.actions)
		}
	}
	if !strings.Contains(fallback(req), "Approval needed") {
		t.Errorf("fallback %q", fallback(req))
	}
	if _, _, err := ParseAction(&slack.BlockAction{ActionID: "other_app", Value: "{}"}); err == nil {
		t.Error("another app's action accepted")
	}
}
