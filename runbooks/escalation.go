package runbooks

import (
	"time"
)

// Escalation is what follows a deadline that passes with the thing still
// not done: levels of people told in turn, each once, then a few reminders
// with growing gaps, then the chain stops and says so.
type Escalation struct {
	located
	Levels []EscalationLevel `yaml:"levels" jsonschema:"maxItems=10" jsonschema_description:"Who is told, in turn; without levels the people who have not acted are reminded."`
	// Reminders after the last level, to the same people: 2 unless set.
	Reminders *int `yaml:"reminders" jsonschema:"minimum=0,maximum=10" jsonschema_description:"How many reminders follow the last level (default 2)."`
	// RemindAfter is the gap before the first reminder; each later gap is
	// twice the one before. The deadline's own length unless set.
	RemindAfter *Duration `yaml:"remind_after" jsonschema_description:"The gap before the first reminder (default: the deadline's own length); each later gap doubles."`
}

// EscalationLevel is one level of an escalation: who is told, and when.
type EscalationLevel struct {
	located
	After Duration `yaml:"after" jsonschema_description:"How long after the deadline this level is told (the first level: 0 unless set)."`
	To    []Ref    `yaml:"to" jsonschema:"required,minItems=1" jsonschema_description:"Stakeholders or role:X."`
}

// DefaultReminders is how many reminders follow the last level when no
// policy says: with the one level a bare deadline has, no deadline sends
// more than three notices in all.
const DefaultReminders = 2

// MaxReminders bounds what a policy may ask for.
const MaxReminders = 10

// Chain is the escalation one deadline follows, every default applied.
type Chain struct {
	// Deadline is how long the thing may take before the chain starts.
	Deadline time.Duration
	// Levels in the order they are told; a level with no one named tells
	// the people who have not acted (a reminder to themselves).
	Levels      []ChainLevel
	Reminders   int
	RemindAfter time.Duration
}

// ChainLevel is a level of a Chain.
type ChainLevel struct {
	After time.Duration // from the deadline
	To    []Ref         // nil: the people who have not acted
}

// Rounds is how many notices the chain sends at most.
func (c Chain) Rounds() int { return len(c.Levels) + c.Reminders }

// Offset is when round n (1-based) falls due, counted from the deadline.
// Round Rounds()+1 is when the chain, still unanswered, is declared
// exhausted.
func (c Chain) Offset(n int) time.Duration {
	if n <= len(c.Levels) {
		return c.Levels[max(n, 1)-1].After
	}
	at := c.Levels[len(c.Levels)-1].After
	gap := c.RemindAfter
	for range n - len(c.Levels) {
		at += gap
		gap *= 2
	}
	return at
}

// Level is the level round n tells: a reminder repeats the last level.
func (c Chain) Level(n int) ChainLevel {
	return c.Levels[min(max(n, 1), len(c.Levels))-1]
}

// ApprovalChain is the escalation of a message waiting for approval, or
// false when its step sets no deadline for it.
func (rb *Runbook) ApprovalChain(s *Step) (Chain, bool) {
	if s.Notify == nil || s.Notify.Approval == nil || s.Notify.Approval.Within == nil {
		return Chain{}, false
	}
	a := s.Notify.Approval
	return rb.chain(a.Within.D, a.EscalateTo, a.Escalation), true
}

// AckChain is the escalation of a message or task not acknowledged in
// time, or false when its step sets no deadline for it.
func (rb *Runbook) AckChain(s *Step) (Chain, bool) {
	switch {
	case s.Task != nil && s.Task.AckWithin != nil:
		return rb.chain(s.Task.AckWithin.D, s.Task.EscalateTo, s.Task.Escalation), true
	case s.Notify != nil && s.Notify.AckWithin != nil:
		return rb.chain(s.Notify.AckWithin.D, s.Notify.EscalateTo, s.Notify.Escalation), true
	}
	return Chain{}, false
}

// PublicUpdatesChain is the escalation of a silence to the public longer
// than public_updates.every, or false when the runbook promises none.
func (rb *Runbook) PublicUpdatesChain() (Chain, bool) {
	pu := rb.PublicUpdates
	if pu == nil {
		return Chain{}, false
	}
	return rb.chain(pu.Every.D, pu.EscalateTo, pu.Escalation), true
}

// CorrectionChain is the escalation of a rumour not corrected within
// rumours.correct_within, or false when the runbook sets no such target.
func (rb *Runbook) CorrectionChain() (Chain, bool) {
	r := rb.Rumours
	if r == nil || r.CorrectWithin == nil {
		return Chain{}, false
	}
	return rb.chain(r.CorrectWithin.D, r.EscalateTo, nil), true
}

// chain resolves a deadline's policy: the step's own escalation, else its
// escalate_to as one level, else the runbook's levels, else a reminder to
// whoever has not acted; reminders and their gap from the step's policy,
// else the runbook's, else the defaults.
func (rb *Runbook) chain(deadline time.Duration, escalateTo []Ref, own *Escalation) Chain {
	c := Chain{Deadline: deadline, Reminders: DefaultReminders, RemindAfter: deadline}
	var levels []EscalationLevel
	for _, p := range []*Escalation{rb.Escalation, own} { // the step's own last: it wins
		if p == nil {
			continue
		}
		if len(p.Levels) > 0 {
			levels = p.Levels
		}
		if p.Reminders != nil {
			c.Reminders = *p.Reminders
		}
		if p.RemindAfter != nil {
			c.RemindAfter = p.RemindAfter.D
		}
	}
	switch {
	case own != nil && len(own.Levels) > 0:
	case len(escalateTo) > 0:
		levels = []EscalationLevel{{To: escalateTo}}
	}
	for _, l := range levels {
		c.Levels = append(c.Levels, ChainLevel{After: l.After.D, To: l.To})
	}
	if len(c.Levels) == 0 {
		c.Levels = []ChainLevel{{}}
	}
	c.Reminders = min(max(c.Reminders, 0), MaxReminders)
	if c.RemindAfter <= 0 {
		c.RemindAfter = max(deadline, time.Minute)
	}
	return c
}
