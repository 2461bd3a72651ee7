package sms_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/crierhq/crier/notifiers"
)

// A text's receipt follows Notify's status as it changes.
func TestStatus(t *testing.T) {
	f := fake()
	f.Fate("+447700900111", "sending", "delivered")
	f.Fate("+447700900002", "sending", "permanent-failure")
	n := over(t, f, apiKey)
	for to, want := range map[string][]notifiers.Receipt{
		"+447700900111": {
			{State: "", Reason: "with the phone network, which has not yet delivered it (sending)"},
			{State: notifiers.ReceiptDelivered, Reason: "delivered to the phone (delivered)"},
			{State: notifiers.ReceiptDelivered, Reason: "delivered to the phone (delivered)"},
		},
		"+447700900002": {
			{State: "", Reason: "with the phone network, which has not yet delivered it (sending)"},
			{State: notifiers.ReceiptFailed, Reason: "the phone network could not deliver it; the number may be wrong or not in use (permanent-failure)"},
		},
	} {
		ref, _, err := n.NotifyRef(context.Background(), text("d-"+to, to, floodBody))
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			got, err := n.Status(context.Background(), ref)
			if err != nil || got != w {
				t.Errorf("%s, read %d: %+v, %v; want %+v", to, i+1, got, err, w)
			}
		}
	}
}

// Every status Notify documents for a text message means what it says.
func TestReceipts(t *testing.T) {
	f := fake()
	n := over(t, f, apiKey)
	for i, tc := range []struct{ status, state, reason string }{
		{"created", "", "waiting at GOV.UK Notify"},
		{"sending", "", "not yet delivered"},
		{"pending", "", "waiting for the phone"},
		{"delivered", notifiers.ReceiptDelivered, "delivered to the phone"},
		{"sent", notifiers.ReceiptUnconfirmed, "international number whose network gives no receipt"},
		{"permanent-failure", notifiers.ReceiptFailed, "could not deliver it"},
		{"temporary-failure", notifiers.ReceiptFailed, "gave up after trying for 72 hours"},
		{"technical-failure", notifiers.ReceiptFailed, "it was not sent"},
		{"failed", notifiers.ReceiptFailed, "not delivered"},
		{"some-new-status", "", "a status crier does not know"},
	} {
		to := fmt.Sprintf("+4477009001%02d", i)
		f.Fate(to, tc.status)
		ref, _, err := n.NotifyRef(context.Background(), text(tc.status, to, floodBody))
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.Status(context.Background(), ref)
		if err != nil || got.State != tc.state || !strings.Contains(got.Reason, tc.reason) || !strings.HasSuffix(got.Reason, "("+tc.status+")") {
			t.Errorf("%s: %+v, %v; want state %q, a reason with %q", tc.status, got, err, tc.state, tc.reason)
		}
		if got.Final() != (tc.state != "") {
			t.Errorf("%s: Final() = %v", tc.status, got.Final())
		}
	}
}

func TestStatusErrors(t *testing.T) {
	f := fake()
	for _, tc := range []struct {
		name, key, ref string
		noReceipt      bool
		reason         string
	}{
		{"unknown id", apiKey, "740e5834-3a29-46b4-9a6f-999999999999", true, "NoResultFound: No result found"},
		{"not an id", apiKey, "a-000002/flood-wardens-text/1/r1/004", true, "notification_id is not a valid UUID"},
		{"no id", apiKey, "", true, "no GOV.UK Notify id"},
		{"wrong key", "crier_northbridge-" + service + "-00000000-0000-0000-0000-000000000000",
			"740e5834-3a29-46b4-9a6f-000000000001", false, "AuthError"},
	} {
		_, err := over(t, f, tc.key).Status(context.Background(), tc.ref)
		if err == nil || errors.Is(err, notifiers.ErrNoReceipt) != tc.noReceipt || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the secret", tc.name)
		}
	}
}
