package engine

import (
	"slices"

	"github.com/crierhq/crier/directory"
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
	Person      string // the directory's person, for a stakeholder kept there
	Language    string // a translation's language, or "" for the message itself
	// Withheld: in an exercise, addressed to someone not taking part, so
	// recorded and never sent.
	Withheld bool
}

// Recipients are where a message waiting for approval goes if it is
// approved as it stands: its step's targets, and its translations (those
// its current revision sends) to the audiences that read them, through
// an exercise's redirect and participants as dispatch would send them.
// A rota is whoever is on duty now, in the activation's own time.
func (e *Engine) Recipients(rb *runbooks.Runbook, a *state.Activation, m *state.Message) []Recipient {
	s, ok := stepOf(rb, m)
	if !ok || s.Notify == nil {
		return nil
	}
	p := peopleAt(e.view(), paceOf(a).scenario(e.clock.Now()))
	eps := endpoints(rb, p, s.Notify.To)
	if rev := m.Current(); len(m.Translations) > 0 && rev.CarriesTranslations() {
		langs := map[string]bool{}
		for lang := range m.TranslationsOf(rev) {
			langs[lang] = !slices.Contains(rev.Withheld, lang)
		}
		eps = inTheirLanguage(append(eps, translatedEndpoints(rb, p, s.Notify.To, langs)...), langs)
	}
	send, withheld := sealOf(a, rb, p.dir).route(eps)
	var out []Recipient
	for i, ep := range slices.Concat(send, withheld) {
		out = append(out, Recipient{Type: ep.kind, Target: ep.target, Channel: ep.channel, Stakeholder: ep.stakeholder, Person: ep.person,
			Language: ep.language, Withheld: i >= len(send)})
	}
	return out
}

// MessageReachesText reports whether a message, once approved, would go
// by text message to anyone, as ReachesText does for a step: for any
// message, a step's or ad-hoc.
// A rota reaches text when anyone on it may be reached by text.
func MessageReachesText(rb *runbooks.Runbook, dir *directory.Directory, m *state.Message, exercise bool) bool {
	s, ok := stepOf(rb, m)
	return ok && stepReachesText(rb, view(dir), s, exercise)
}

func stepReachesText(rb *runbooks.Runbook, dir runbooks.Directory, s *runbooks.Step, exercise bool) bool {
	if s.Notify == nil {
		return reachesTextAs(rb, dir, string(s.ID), exercise) // a task's notice
	}
	var seal *exerciseBounds
	if exercise {
		seal = exerciseSeal(rb, dir)
	}
	send, _ := seal.route(endpoints(rb, &people{dir: dir, everyone: true}, s.Notify.To))
	return slices.ContainsFunc(send, isText)
}
