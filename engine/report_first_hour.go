package engine

import (
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// The first hour, as the guidance on trigger events measures a council:
// partners told at once, the public within the hour, and no long silence
// after. The report's summary sets how long each took against its target.

// Targets of the first hour, crier's reading of the guidance: partners are
// told "at once", which a report counts as within a quarter of an hour;
// the public within the hour.
const (
	PartnerDeclarationTarget = 15 * time.Minute
	FirstPublicTarget        = time.Hour
)

// FirstHour is how the first hour went.
type FirstHour struct {
	// PartnerDeclaration is the first message to an audience of kind
	// partners; FirstPublic the first to one of kind public; each nil
	// when the runbook has no such audience.
	PartnerDeclaration *Milestone `json:"partner_declaration,omitempty"`
	FirstPublic        *Milestone `json:"first_public_message,omitempty"`
	// LongestPublicSilence is the longest time the public heard nothing,
	// from the activation or an update to the next update or the report,
	// against the runbook's public_updates.every when it promises one.
	LongestPublicSilence *Milestone `json:"longest_public_silence,omitempty"`
}

// Milestone is how long something took against its target. Seconds is
// nil when it has not happened; Met says whether it came within target
// (for a silence: no longer than it).
type Milestone struct {
	Subject       string `json:"subject,omitempty"` // the message
	Seconds       *int64 `json:"seconds,omitempty"`
	TargetSeconds int64  `json:"target_seconds"`
	Met           bool   `json:"met"`
}

// firstHour measures an activation's first hour from its dispatched
// messages, by the kinds of the audiences they were addressed to, and
// the gaps between its public updates (publicGaps).
func firstHour(tx *state.Txn, rb *runbooks.Runbook, r *Report, gaps []Silence) (FirstHour, error) {
	var f FirstHour
	for i := range rb.Audiences {
		switch rb.Audiences[i].Kind {
		case runbooks.AudiencePartners:
			f.PartnerDeclaration = &Milestone{TargetSeconds: int64(PartnerDeclarationTarget / time.Second)}
		case runbooks.AudiencePublic:
			f.FirstPublic = &Milestone{TargetSeconds: int64(FirstPublicTarget / time.Second)}
		}
	}
	messages, err := tx.MessagesOf(nil, r.Activation)
	if err != nil {
		return f, err
	}
	reaches := map[string]*state.Message{}
	for _, m := range messages {
		reaches[m.ID] = m
	}
	events, err := tx.EventsOf(nil, r.Activation)
	if err != nil {
		return f, err
	}
	for _, ev := range events {
		m := reaches[ev.Subject]
		if ev.Kind != "message_dispatched" || m == nil || m.About != "" {
			continue
		}
		for _, kind := range audienceKinds(rb, m) {
			switch kind {
			case runbooks.AudiencePartners:
				f.PartnerDeclaration.reached(m.ID, ev.At.Sub(r.StartedAt))
			case runbooks.AudiencePublic:
				f.FirstPublic.reached(m.ID, ev.At.Sub(r.StartedAt))
			}
		}
	}
	for _, g := range gaps {
		if f.LongestPublicSilence == nil || g.Seconds > *f.LongestPublicSilence.Seconds {
			seconds := g.Seconds
			f.LongestPublicSilence = &Milestone{Seconds: &seconds, TargetSeconds: g.Promise, Met: g.Seconds <= g.Promise}
		}
	}
	return f, nil
}

// reached notes the first time a milestone was reached.
func (m *Milestone) reached(subject string, after time.Duration) {
	if m == nil || m.Seconds != nil {
		return
	}
	s := int64(after / time.Second)
	m.Subject, m.Seconds, m.Met = subject, &s, s <= m.TargetSeconds
}

// audienceKinds are the kinds of the audiences a message was addressed to.
func audienceKinds(rb *runbooks.Runbook, m *state.Message) []runbooks.AudienceKind {
	var to []string
	if s, ok := rb.Step(m.Step); ok && s.Notify != nil {
		to = runbooks.Names(s.Notify.To)
	}
	if m.AdHoc != nil {
		to = m.AdHoc.To
	}
	var kinds []runbooks.AudienceKind
	for i := range rb.Audiences {
		a := &rb.Audiences[i]
		for _, t := range to {
			if string(a.ID) == t && a.Kind != "" {
				kinds = append(kinds, a.Kind)
			}
		}
	}
	return kinds
}
