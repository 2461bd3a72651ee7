package notifiers

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

// referencing is a service that names what it accepts: "ref:" and the
// delivery. Its Notify must never be called: the dispatcher prefers
// NotifyRef.
type referencing struct{ service }

func (r *referencing) Notify(context.Context, Message) (bool, error) {
	panic("Notify called on a Referencer")
}

func (r *referencing) NotifyRef(ctx context.Context, m Message) (string, bool, error) {
	if retry, err := r.service.Notify(ctx, m); err != nil {
		return "", retry, err
	}
	return "ref:" + m.Delivery, false, nil
}

// The reference a Referencer gives for an accepted message is in its
// outcome, whether it went first time or after a retry; a failure has
// none, nor has a message through a notifier that gives none.
func TestOutcomeRef(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sms := &referencing{service{answer: func(m Message, call int) (bool, error) {
			switch {
			case m.Delivery == "sms/07700900002/000":
				return false, errors.New("not a mobile number")
			case m.Delivery == "sms/07700900003/000" && call == 1:
				return true, errors.New("rate limited")
			}
			return false, nil
		}}}
		rec := newLedger()
		var ms []Message
		for _, to := range []string{"07700900001", "07700900002", "07700900003"} {
			ms = append(ms, messages("sms", to, 1)...)
		}
		ms = append(ms, messages("slack", "#a", 1)...)
		dispatch(t, DispatchOptions{Routes: map[string]Route{
			"sms":   {Notifier: sms},
			"slack": {Notifier: &service{}},
		}}, rec, ms...)
		for delivery, want := range map[string]struct {
			ref      string
			failed   bool
			attempts int
		}{
			"sms/07700900001/000": {"ref:sms/07700900001/000", false, 1},
			"sms/07700900002/000": {"", true, 1},
			"sms/07700900003/000": {"ref:sms/07700900003/000", false, 2},
			"slack/a/000":         {"", false, 1},
		} {
			o, ok := rec.outcomes[delivery]
			if !ok || o.Ref != want.ref || (o.Err != nil) != want.failed || o.Attempts != want.attempts {
				t.Errorf("%s: outcome %+v; want ref %q, failed %v, %d attempts", delivery, o, want.ref, want.failed, want.attempts)
			}
		}
	})
}

func TestReceiptFinal(t *testing.T) {
	for state, final := range map[string]bool{"": false, ReceiptDelivered: true, ReceiptFailed: true, ReceiptUnconfirmed: true} {
		if got := (Receipt{State: state}).Final(); got != final {
			t.Errorf("Receipt{State: %q}.Final() = %v", state, got)
		}
	}
}
