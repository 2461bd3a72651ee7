package notifiers

import (
	"context"
	"errors"
)

// Referencer is a Notifier that learns the service's own reference for a
// message it accepts, as GOV.UK Notify's notification id. The dispatcher
// sends through NotifyRef when a notifier has it, and keeps the reference
// in the Outcome.
type Referencer interface {
	Notifier
	// NotifyRef sends one message as Notify does, and returns the
	// service's reference for it when it is accepted ("" if the service
	// gave none).
	NotifyRef(ctx context.Context, m Message) (ref string, retry bool, err error)
}

// Receipt states: what the service last knew of a message it accepted.
const (
	ReceiptDelivered = "delivered" // it reached the phone
	ReceiptFailed    = "failed"    // it never will
	// ReceiptUnconfirmed: handed to a network that gives no receipt, as
	// some abroad do. Final, but not known to have arrived.
	ReceiptUnconfirmed = "unconfirmed"
)

// Receipt is what became of a message after the service accepted it.
type Receipt struct {
	// State is ReceiptDelivered, ReceiptFailed or ReceiptUnconfirmed, or
	// "" while the message is still on its way.
	State string
	// Reason says why, in words for the record, with the service's own
	// status in brackets: "the phone network could not deliver it
	// (permanent-failure)".
	Reason string
}

// Final reports whether the receipt will not change: there is no need to
// ask again.
func (r Receipt) Final() bool { return r.State != "" }

// ErrNoReceipt is a status the service cannot give and never will, as
// when it does not know the reference (GOV.UK Notify forgets a message
// after its data retention period, seven days unless a service sets
// another). Asking again will not help.
var ErrNoReceipt = errors.New("the service has no receipt for this message")

// StatusReader is a notifier that can say what became of a message it
// sent, from the reference NotifyRef returned.
//
// It is meant to be polled: after a message is accepted, ask for its
// receipt until it is final, at growing gaps. For GOV.UK Notify, most texts
// are delivered within seconds and nearly all within minutes, but a
// network keeps trying a phone that is off or out of signal for up to 72
// hours, and Notify marks a text still sending after three days as
// temporary-failure in a nightly job. Gaps of 10s, 30s, 1m, 2m, 5m, 10m and
// 30m, then hourly, give a prompt answer for most texts at a few requests
// each, and a long wait costs one request an hour. Stop at a final
// receipt, at an error wrapping ErrNoReceipt, or four days after the send,
// and record a text still without a final receipt then as not known to
// have arrived. Any other error is temporary: ask again at the next gap.
// GOV.UK Notify's rate limit counts sends, not reads; still, spread the
// polls for a thousand texts sent at once over the gap rather than asking
// after them all in the same second.
type StatusReader interface {
	Status(ctx context.Context, ref string) (Receipt, error)
}
