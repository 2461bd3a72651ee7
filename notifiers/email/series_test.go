package email

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Personalised messages are an email each, to their own recipient only,
// sent as one series over one connection; among them a bad mailbox, a busy
// one and a dropped connection cost only their own messages.
func TestPersonalisedMessagesGoInASeries(t *testing.T) { bothWays(t, personalised) }

func personalised(t *testing.T, mode relayMode) {
	r := startRelay(t, mode)
	n := newNotifier(t, r.config(NoTLS))
	ms := staff(6)
	ms[1].Target, ms[3].Target = "bad@example.org", "busy@example.org"
	for i := range ms {
		ms[i].AckURL = fmt.Sprintf("https://crier.northbridge.gov.uk/ack/%d", i+1)
		if k := n.BatchKey(ms[i]); k != n.BatchKey(ms[0]) || k == "" || k == n.BatchKey(staff(1)[0]) {
			t.Errorf("personalised message %d has batch key %q", i, k)
		}
	}
	results := n.NotifyBatch(context.Background(), ms)
	for i, res := range results {
		switch i {
		case 1:
			if res.Err == nil || res.Retry || !strings.Contains(res.Err.Error(), "550") {
				t.Errorf("bad mailbox: %+v", res)
			}
		case 3:
			if res.Err == nil || !res.Retry || !strings.Contains(res.Err.Error(), "451") {
				t.Errorf("busy mailbox: %+v", res)
			}
		default:
			if res.Err != nil {
				t.Errorf("message %d: %v", i, res.Err)
			}
		}
	}
	envs := r.Envelopes()
	if len(envs) != 4 || r.Connections() != 1 {
		t.Fatalf("%d emails over %d connections, want 4 over 1", len(envs), r.Connections())
	}
	for k, i := range []int{0, 2, 4, 5} {
		head, parts := parse(t, envs[k].Data)
		if len(envs[k].To) != 1 || !strings.Contains(head.Get("To"), ms[i].Target) || !strings.Contains(parts["text/plain"], ms[i].AckURL) {
			t.Errorf("email %d to %v: To %q\n%s", k, envs[k].To, head.Get("To"), parts["text/plain"])
		}
	}
	// A retry of the busy one goes through.
	sent(t, n.NotifyBatch(context.Background(), ms[3:4]))

	// The connection drops at the fifth email: those before are sent, the
	// rest fail for now, to be tried again.
	ms[4].Target = "drop@example.org"
	results = n.NotifyBatch(context.Background(), ms)
	for i, res := range results {
		if want := i >= 4; (res.Err != nil && res.Retry) != want && i != 1 {
			t.Errorf("after the drop, message %d: %+v", i, res)
		}
	}
}

// With a relay limit, each personalised email goes alone to be counted.
func TestRelayLimitedPersonalisedGoAlone(t *testing.T) {
	n := newNotifier(t, Config{Host: "127.0.0.1", TLS: NoTLS, From: sender, RelayLimited: true})
	m := staff(1)[0]
	m.AckURL = "https://crier.northbridge.gov.uk/ack/1"
	if k := n.BatchKey(m); k != "" {
		t.Errorf("batch key %q", k)
	}
}
