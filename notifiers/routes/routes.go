// Package routes builds the dispatcher's routes from the configuration:
// one notifier per configured channel type, paced as its service asks.
package routes

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/notifiers/email"
	"github.com/crierhq/crier/notifiers/slack"
	"github.com/crierhq/crier/notifiers/sms"
	"github.com/crierhq/crier/notifiers/teams"
	"github.com/crierhq/crier/notifiers/webhook"
)

// Env is what the notifiers need from outside the configuration.
type Env struct {
	Lookup func(string) (string, bool) // the environment, for URL references in runbooks
	Now    func() time.Time
	Log    *slog.Logger // the dispatcher's own log: retries, failures
	// Messages is where log channels write each message, at Info level
	// (Log when nil).
	Messages *slog.Logger
	HTTP     *http.Client // nil: a client with a 30s timeout
}

// Built is the dispatcher's options and what to close when done.
type Built struct {
	Options notifiers.DispatchOptions
	// ApprovalsChannel is where drafts held for approval are posted.
	ApprovalsChannel string
	closers          []func() error
}

// Close closes the notifiers' connections.
func (b *Built) Close() error {
	var errs []error
	for _, c := range b.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// FromConfig makes a route for each channel type the configuration
// handles. With only the outbox configured, every type goes to it.
func FromConfig(c *config.Config, env Env) (*Built, error) {
	if env.HTTP == nil {
		env.HTTP = notifiers.HTTPClient(cmp.Or(c.Delivery.Workers, notifiers.DefaultWorkers), 30*time.Second)
	}
	if env.Log == nil {
		env.Log = slog.New(slog.DiscardHandler)
	}
	if env.Messages == nil {
		env.Messages = env.Log
	}
	b := &Built{Options: notifiers.DispatchOptions{
		Routes:  map[string]notifiers.Route{},
		Workers: c.Delivery.Workers, Deadline: c.Delivery.Deadline.D, Log: env.Log,
	}}
	n := c.Notifiers
	if c.OutboxOnly() { // log channels too: the outbox is the whole record
		b.Options.Default = &notifiers.Route{Notifier: &notifiers.Outbox{Dir: n.Outbox.Dir, Now: env.Now}}
		return b, nil
	}
	routes := b.Options.Routes
	routes["log"] = notifiers.Route{Notifier: &notifiers.Log{Logger: env.Messages}}
	if s := n.Slack; s != nil {
		routes["slack"] = slack.New(s.Token.Reveal(), s.APIURL, env.HTTP).Route(s.PerChannelRate, s.WorkspaceRate)
		b.ApprovalsChannel = s.ApprovalsChannel
	}
	if e := n.Email; e != nil {
		mailer, err := email.New(email.Config{Host: e.Host, Port: e.Port, TLS: e.TLS, Username: e.Username,
			Password: e.Password.Reveal(), From: e.From, MaxRecipientsPerMessage: e.MaxRecipientsPerMessage, Connections: e.Connections,
			RelayLimited: e.MessagesPerMinute > 0, Now: env.Now})
		if err != nil {
			return nil, fmt.Errorf("notifiers.email: %w", err)
		}
		b.closers = append(b.closers, mailer.Close)
		r := notifiers.Route{Notifier: mailer}
		if e.MessagesPerMinute > 0 {
			r.Overall = notifiers.PerMinute(float64(e.MessagesPerMinute))
		}
		routes["email"] = r
	}
	if s := n.SMS; s != nil {
		routes["sms"] = notifiers.Route{
			Notifier: &sms.Notifier{Client: env.HTTP, APIKey: s.APIKey.Reveal(), TemplateID: s.TemplateID, BaseURL: s.BaseURL, Now: env.Now},
			Overall:  notifiers.PerMinute(float64(s.MessagesPerMinute)),
		}
	}
	// Where the configuration has no setting: Teams Workflows webhooks
	// take about four requests a second; a webhook receiver is not flooded.
	if n.Teams != nil {
		routes["teams"] = notifiers.Route{Notifier: &teams.Notifier{Client: env.HTTP, Lookup: env.Lookup, Now: env.Now, Log: env.Log},
			PerTarget: notifiers.Limit{Rate: 4, Burst: 1}}
	}
	if w := n.Webhook; w != nil {
		if _, err := webhook.StandardKey([]byte(w.SigningSecret.Reveal())); err != nil {
			return nil, fmt.Errorf("notifiers.webhook.signing_secret: %w", err)
		}
		routes["webhook"] = notifiers.Route{
			Notifier:  &webhook.Notifier{Client: env.HTTP, Secret: []byte(w.SigningSecret.Reveal()), Lookup: env.Lookup, Now: env.Now},
			PerTarget: notifiers.Limit{Rate: 10, Burst: 1},
		}
	}
	return b, nil
}
