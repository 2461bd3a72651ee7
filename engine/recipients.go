package engine

import (
	"slices"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Recipient is one place a message goes: what a comms officer reads
// before approving it.
type Recipient struct {
	Type        string // slack, teams, email, sms, webhook, log
	Target      string // the channel, address or number
	Channel     string // the runbook channel, or "" for a stakeholder's own contact
	Stakeholder string
	Language    string // a translation's language, or "" for the message itself
	// Withheld: in an exercise, addressed to someone not taking part, so
	// recorded and never sent.
	Withheld bool
}

// Recipients are where a message waiting for approval goes if it is
// approved as it stands: its step's targets, and its translations (those
// its current revision sends) to the audiences that read them, through
// an exercise's redirect and participants as dispatch would send them.
func Recipients(rb *runbooks.Runbook, a *state.Activation, m *state.Message) []Recipient {
	s, ok := stepOf(rb, m)
	if !ok || s.Notify == nil {
		return nil
	}
	eps := endpoints(rb, s.Notify.To)
	if rev := m.Current(); len(m.Translations) > 0 && rev.CarriesTranslations() {
		langs := map[string]bool{}
		for lang := range m.TranslationsOf(rev) {
			langs[lang] = !slices.Contains(rev.Withheld, lang)
		}
		eps = append(eps, translatedEndpoints(rb, s.Notify.To, langs)...)
	}
	send, withheld := sealOf(a, rb).route(eps)
	var out []Recipient
	for i, ep := range slices.Concat(send, withheld) {
		out = append(out, Recipient{Type: ep.kind, Target: ep.target, Channel: ep.channel, Stakeholder: ep.stakeholder,
			Language: ep.language, Withheld: i >= len(send)})
	}
	return out
}

// MessageReachesText reports whether a message, once approved, would go
// by text message to anyone, as ReachesText does for a step: for any
// message, a step's or ad-hoc.
func MessageReachesText(rb *runbooks.Runbook, m *state.Message, exercise bool) bool {
	s, ok := stepOf(rb, m)
	return ok && stepReachesText(rb, s, exercise)
}

func stepReachesText(rb *runbooks.Runbook, s *runbooks.Step, exercise bool) bool {
	if s.Notify == nil {
		return ReachesText(rb, string(s.ID), exercise) // a task's notice
	}
	var seal *exerciseBounds
	if exercise {
		seal = exerciseSeal(rb)
	}
	send, _ := seal.route(endpoints(rb, s.Notify.To))
	return slices.ContainsFunc(send, isText)
}
