package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/crierhq/crier/notifiers"
)

// Status implements notifiers.StatusReader: what GOV.UK Notify last knew
// of the text whose id NotifyRef returned, from GET /v2/notifications/{id}.
// An id Notify does not know (or no longer keeps) is an error wrapping
// notifiers.ErrNoReceipt; any other error is worth asking again.
func (n *Notifier) Status(ctx context.Context, ref string) (notifiers.Receipt, error) {
	if ref == "" {
		return notifiers.Receipt{}, fmt.Errorf("sms: no GOV.UK Notify id to ask after: %w", notifiers.ErrNoReceipt)
	}
	status, data, _, err := n.call(ctx, http.MethodGet, "/v2/notifications/"+url.PathEscape(ref), nil)
	switch {
	case status == http.StatusNotFound, status == http.StatusBadRequest:
		return notifiers.Receipt{}, fmt.Errorf("%w (%w)", err, notifiers.ErrNoReceipt)
	case err != nil:
		return notifiers.Receipt{}, err
	}
	var got struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(data, &got); err != nil || got.Status == "" {
		return notifiers.Receipt{}, errors.New("sms: GOV.UK Notify's answer has no status")
	}
	return receipt(got.Status), nil
}

// receipt says what a Notify status means for a text message (Notify's API
// documentation, "Status - text message").
func receipt(status string) notifiers.Receipt {
	var state, reason string
	switch status {
	case "created":
		reason = "waiting at GOV.UK Notify to go to a phone network"
	case "sending":
		reason = "with the phone network, which has not yet delivered it"
	case "pending":
		reason = "with the phone network, waiting for the phone"
	case "delivered":
		state, reason = notifiers.ReceiptDelivered, "delivered to the phone"
	case "sent":
		state, reason = notifiers.ReceiptUnconfirmed, "sent to an international number whose network gives no receipt"
	case "permanent-failure":
		state, reason = notifiers.ReceiptFailed, "the phone network could not deliver it; the number may be wrong or not in use"
	case "temporary-failure":
		state, reason = notifiers.ReceiptFailed, "the phone network gave up after trying for 72 hours; the phone may have been off or out of signal"
	case "technical-failure":
		state, reason = notifiers.ReceiptFailed, "GOV.UK Notify could not pass it to a phone network, so it was not sent"
	case "failed":
		state, reason = notifiers.ReceiptFailed, "it was not delivered"
	default:
		// A status Notify has added since: not final until it says so.
		reason = "GOV.UK Notify gives a status crier does not know"
	}
	return notifiers.Receipt{State: state, Reason: fmt.Sprintf("%s (%s)", reason, status)}
}
