// Package webhook posts crier messages as signed JSON to any HTTPS
// endpoint: a partner's incident system, a rota tool, a council's own
// integration. Each request carries two signatures of the same secret:
// crier's own (X-Crier-Signature) and the Standard Webhooks one
// (webhook-signature), which off-the-shelf libraries check. See
// docs/webhooks.md for how a receiver verifies a request.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// Headers on every request.
const (
	HeaderTimestamp = "X-Crier-Timestamp" // Unix seconds when the request was signed
	HeaderSignature = "X-Crier-Signature" // v1=hex(HMAC-SHA256(secret, timestamp + "." + body))
	HeaderDelivery  = "X-Crier-Delivery"  // the delivery id: the same on a retry, for de-duplication
)

// Notifier posts messages to webhook URLs.
type Notifier struct {
	Client *http.Client
	// Secret signs every request; receivers hold the same secret (for the
	// Standard Webhooks signature, in the form StandardKey describes).
	Secret []byte
	// Lookup resolves the ${ENV_VAR} references that runbooks give for URLs.
	Lookup func(name string) (string, bool)
	Now    func() time.Time
}

var _ notifiers.Notifier = (*Notifier)(nil)

// Payload is the JSON body of a webhook request.
type Payload struct {
	Delivery   string    `json:"delivery"`
	Activation string    `json:"activation"`
	Runbook    string    `json:"runbook"`
	Step       string    `json:"step"`
	Exercise   bool      `json:"exercise"`
	Channel    string    `json:"channel,omitempty"`
	Language   string    `json:"language,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Body       string    `json:"body"`
	SentAt     time.Time `json:"sent_at"`
}

// Notify implements notifiers.Notifier.
func (n *Notifier) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	target, err := notifiers.ResolveURL(m.Target, n.Lookup)
	if err != nil {
		return false, fmt.Errorf("webhook: %w", err)
	}
	key, err := StandardKey(n.Secret)
	if err != nil {
		return false, fmt.Errorf("webhook: %w", err)
	}
	now := n.Now()
	body, err := json.Marshal(Payload{Delivery: m.Delivery, Activation: m.Activation, Runbook: m.Runbook, Step: m.Step,
		Exercise: m.Exercise, Channel: m.Channel, Language: m.Language, Subject: m.Subject, Body: m.Body, SentAt: now.UTC()})
	if err != nil {
		return false, err
	}
	timestamp := strconv.FormatInt(now.Unix(), 10)
	header := http.Header{}
	header.Set(HeaderTimestamp, timestamp)
	header.Set(HeaderSignature, "v1="+Sign(n.Secret, timestamp, body))
	header.Set(HeaderDelivery, m.Delivery)
	header.Set(HeaderWebhookID, m.Delivery)
	header.Set(HeaderWebhookTimestamp, timestamp)
	header.Set(HeaderWebhookSignature, SignStandard(key, m.Delivery, timestamp, body))
	return notifiers.PostJSON(ctx, n.Client, "webhook", target, body, header, now)
}

// Sign is the v1 signature: hex HMAC-SHA256 of the timestamp, a dot and
// the body, with the shared secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a request as a receiver should: the signature in constant
// time, and a timestamp within tolerance of now, so that a captured request
// cannot be replayed later.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("the %s header is not a Unix time", HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("the request was signed %s from now, outside the %s allowed", d.Round(time.Second), tolerance)
	}
	want := "v1=" + Sign(secret, timestamp, body)
	if !hmac.Equal([]byte(signature), []byte(want)) {
		return fmt.Errorf("the signature does not match")
	}
	return nil
}
