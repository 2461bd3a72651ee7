package publicfeed

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// DefaultLanguage is the language of a message as the runbook wrote it.
const DefaultLanguage = "en-GB"

// Publisher reads the alerts out of an engine's record.
type Publisher struct {
	Engine *engine.Engine
	// Sender names crier in every alert; crier@ the host of BaseURL when
	// empty.
	Sender string
	// BaseURL is where the public reaches crier (server.public_url): the
	// base of each alert's web link.
	BaseURL string
	// Language is the language runbooks are written in; DefaultLanguage
	// when empty.
	Language string
}

// SenderName is the sender alerts carry: Sender, or crier@ BaseURL's host.
func (p *Publisher) SenderName() string {
	if p.Sender != "" {
		return p.Sender
	}
	host := "localhost"
	if u, err := url.Parse(p.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "crier@" + host
}

// PageURL is the public page an alert links to: /public/, or for an
// exercise /public/exercise/.
func (p *Publisher) PageURL(exercise bool) string {
	base := strings.TrimSuffix(p.BaseURL, "/") + "/public/"
	if exercise {
		base += "exercise/"
	}
	return base
}

func (p *Publisher) language() string {
	if p.Language != "" {
		return p.Language
	}
	return DefaultLanguage
}

// Alerts are every alert of live activations, or with exercise of
// exercises, newest first.
func (p *Publisher) Alerts(exercise bool) ([]*Alert, error) {
	tx := p.Engine.Read()
	activations, err := tx.Activations(nil)
	if err != nil {
		return nil, err
	}
	var out []*Alert
	for _, a := range activations {
		if a.Exercise() != exercise {
			continue
		}
		alerts, err := p.alertsOf(tx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, alerts...)
	}
	slices.SortStableFunc(out, func(x, y *Alert) int {
		if c := y.at.Compare(x.at); c != 0 {
			return c
		}
		return strings.Compare(y.Identifier, x.Identifier)
	})
	return out, nil
}

// Alert is the alert with an identifier, among live alerts or with
// exercise among exercises' alerts; nil when there is none.
func (p *Publisher) Alert(identifier string, exercise bool) (*Alert, error) {
	alerts, err := p.Alerts(exercise)
	if err != nil {
		return nil, err
	}
	for _, a := range alerts {
		if a.Identifier == identifier {
			return a, nil
		}
	}
	return nil, nil
}

// alertsOf are an activation's alerts, oldest first: one for each public
// message dispatched, then a Cancel once it has ended.
func (p *Publisher) alertsOf(tx *state.Txn, a *state.Activation) ([]*Alert, error) {
	events, err := tx.EventsOf(nil, a.ID)
	if err != nil {
		return nil, err
	}
	var rb *runbooks.Runbook
	var alerts []*Alert
	seen := map[string]bool{}
	for _, ev := range events {
		if ev.Kind != "message_dispatched" || seen[ev.Subject] {
			continue
		}
		seen[ev.Subject] = true
		if rb == nil {
			if rb, err = p.Engine.Runbook(a.ID); err != nil {
				return nil, err
			}
		}
		m, err := tx.Message(nil, ev.Subject)
		if err != nil {
			return nil, err
		}
		if m == nil || m.About != "" || !public(rb, m) {
			continue
		}
		alert, err := p.messageAlert(tx, a, rb, m, ev.At)
		if err != nil {
			return nil, err
		}
		if len(alerts) > 0 {
			alert.MsgType, alert.References = "Update", references(alerts)
		}
		alerts = append(alerts, alert)
	}
	if len(alerts) > 0 && a.State != state.ActivationActive && !a.EndedAt.IsZero() {
		alerts = append(alerts, p.cancel(a, rb, alerts))
	}
	return alerts, nil
}

// public reports whether a message goes to an audience of kind public.
func public(rb *runbooks.Runbook, m *state.Message) bool {
	s, ok := engine.MessageStep(rb, m)
	if !ok || s.Notify == nil {
		return false
	}
	for _, to := range s.Notify.To {
		for i := range rb.Audiences {
			if au := &rb.Audiences[i]; string(au.ID) == to.Name && au.Kind == runbooks.AudiencePublic {
				return true
			}
		}
	}
	return false
}

// Identifier names a revision of a message as an alert: its id with dots
// for slashes, and the revision (a-000001.statement.1.r2).
func Identifier(messageID string, revision int) string {
	return fmt.Sprintf("%s.r%d", strings.ReplaceAll(messageID, "/", "."), revision)
}

// CancelIdentifier names the Cancel of an activation's alerts.
func CancelIdentifier(activation string) string { return activation + ".cancel" }

// base is an alert of an activation with no text yet.
func (p *Publisher) base(a *state.Activation, rb *runbooks.Runbook, id, msgType string, at time.Time) *Alert {
	status := "Actual"
	if a.Exercise() {
		status = "Exercise"
	}
	at = at.In(rb.Location()).Truncate(time.Second)
	return &Alert{Identifier: id, Sender: p.SenderName(), Sent: FormatTime(at), Status: status, MsgType: msgType,
		Scope: "Public", Incidents: a.ID, at: at, live: !a.Exercise(), current: a.State == state.ActivationActive, activity: a.ID}
}

// info is an alert's text in one language.
func (p *Publisher) info(a *state.Activation, rb *runbooks.Runbook, lang, subject, body string) Info {
	g := GradingOf(a.Severity)
	return Info{Language: lang, Category: []string{CategoryOf(cmp.Or(a.Event, string(rb.ID)))}, Event: cmp.Or(a.Title, rb.Title),
		Urgency: g.Urgency, Severity: g.Severity, Certainty: g.Certainty,
		Headline: headline(subject, body), Description: body, Web: p.PageURL(a.Exercise())}
}

// messageAlert is the alert a dispatched message makes: its text as sent,
// and each translation that went with it.
func (p *Publisher) messageAlert(tx *state.Txn, a *state.Activation, rb *runbooks.Runbook, m *state.Message, at time.Time) (*Alert, error) {
	rev := m.Current()
	alert := p.base(a, rb, Identifier(m.ID, rev.N), "Alert", at)
	alert.Info = []Info{p.info(a, rb, p.language(), rev.Subject, rev.Body)}
	translations := m.TranslationsOf(rev)
	if !rev.CarriesTranslations() || len(translations) == 0 {
		return alert, nil // no need to read the deliveries: a fan-out's may be thousands
	}
	deliveries, err := tx.DeliveriesOf(nil, m.ID)
	if err != nil {
		return nil, err
	}
	sent := map[string]bool{}
	for _, d := range deliveries {
		if d.Revision == rev.N && d.Language != "" {
			sent[d.Language] = true
		}
	}
	for _, lang := range slices.Sorted(maps.Keys(translations)) {
		if sent[lang] && !slices.Contains(rev.Withheld, lang) {
			tr := translations[lang]
			alert.Info = append(alert.Info, p.info(a, rb, lang, tr.Subject, tr.Body))
		}
	}
	return alert, nil
}

// cancel withdraws an activation's alerts when it has ended.
func (p *Publisher) cancel(a *state.Activation, rb *runbooks.Runbook, earlier []*Alert) *Alert {
	alert := p.base(a, rb, CancelIdentifier(a.ID), "Cancel", a.EndedAt)
	alert.References = references(earlier)
	title := cmp.Or(a.Title, rb.Title)
	ended := "stood down"
	if a.State == state.ActivationHalted {
		ended = "halted"
	}
	alert.Note = "The response was " + ended + "."
	subject := "Stood down: " + title
	if a.State == state.ActivationHalted {
		subject = "Halted: " + title
	}
	body := "The council has stood down its response to this incident. Its earlier alerts are withdrawn."
	if a.Exercise() {
		subject, body = rb.MarkExercise(subject, body)
	}
	info := p.info(a, rb, p.language(), subject, body)
	info.Urgency = "Past"
	alert.Info = []Info{info}
	return alert
}

// references lists earlier alerts as CAP does: sender,identifier,sent
// triples, separated by spaces.
func references(earlier []*Alert) string {
	refs := make([]string, len(earlier))
	for i, e := range earlier {
		refs[i] = e.Sender + "," + e.Identifier + "," + e.Sent
	}
	return strings.Join(refs, " ")
}
