package routes

import (
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/notifiers/email"
	"github.com/crierhq/crier/notifiers/slack"
	"github.com/crierhq/crier/notifiers/sms"
	"golang.org/x/time/rate"
)

// everything sets every variable, each to its own value.
func everything(name string) (string, bool) {
	if name == "NOTIFY_API_KEY" {
		return "northbridge_alerts-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0", true
	}
	return "value-of-" + name + "-long-enough-for-any-secret", true
}

// Every configured type gets its notifier, paced as its service asks.
func TestRoutesFromTheExample(t *testing.T) {
	cfg, _, err := config.Load("../../examples/crier.yaml", everything)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FromConfig(cfg, Env{Lookup: everything, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := b.Options.Routes
	if _, ok := r["slack"].Notifier.(*slack.Notifier); !ok || r["slack"].PerTarget.Rate != 1 || r["slack"].Overall.Rate != 8 {
		t.Errorf("slack route: %+v", r["slack"])
	}
	mailer, ok := r["email"].Notifier.(*email.Notifier)
	if !ok || mailer.MaxBatch() != 50 || r["email"].Overall.Rate != rate.Limit(120.0/60) || r["email"].Overall.Burst != 1 {
		t.Errorf("email route: %+v", r["email"])
	}
	if _, ok := r["sms"].Notifier.(*sms.Notifier); !ok || r["sms"].Overall.Rate != rate.Limit(3000.0/60) {
		t.Errorf("sms route: %+v", r["sms"])
	}
	for _, typ := range []string{"teams", "webhook", "log"} {
		if r[typ].Notifier == nil {
			t.Errorf("no %s route", typ)
		}
	}
	if b.Options.Default != nil || b.ApprovalsChannel != "#comms-approvals" || b.Options.Deadline != 30*time.Minute {
		t.Errorf("default %v, approvals channel %q, deadline %s", b.Options.Default, b.ApprovalsChannel, b.Options.Deadline)
	}
}

// The embedded default sends every type to the outbox.
func TestDefaultIsTheOutbox(t *testing.T) {
	b, err := FromConfig(config.Default(), Env{Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	out, ok := b.Options.Default.Notifier.(*notifiers.Outbox)
	if !ok || out.Dir == "" {
		t.Errorf("default route: %+v", b.Options.Default)
	}
}

// A webhook secret in the Standard Webhooks form whose key is not base64
// is refused when crier starts, not at every delivery; the error never
// shows the secret.
func TestMalformedStandardWebhooksSecretIsRefusedAtStart(t *testing.T) {
	lookup := func(string) (string, bool) { return "whsec_not*base64*at*all*0123456789", true }
	c, _, err := config.Parse("crier.yaml", []byte("version: 1\nnotifiers:\n  webhook: {signing_secret: \"${HOOK_SECRET}\"}\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	_, err = FromConfig(c, Env{})
	if err == nil || !strings.Contains(err.Error(), "notifiers.webhook.signing_secret") || strings.Contains(err.Error(), "not*base64") {
		t.Errorf("got %v", err)
	}
}
