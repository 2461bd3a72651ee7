package runbooks

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// DefaultHorizon is how far ahead a plan looks unless told otherwise.
const DefaultHorizon = 14 * 24 * time.Hour

// maxPlanned bounds a plan: an every-minute step over a long horizon would
// otherwise make millions of rows.
const maxPlanned = 100_000

// PlanOptions changes how a plan is expanded.
type PlanOptions struct {
	// Exercise includes injects and sends notify steps to the exercise
	// redirect channels, as a drill would.
	Exercise bool
}

// Occurrence is one scheduled firing of a step or inject.
type Occurrence struct {
	Offset     time.Duration
	At         time.Time
	Step       string
	Title      string
	Phase      string
	Kind       string // notify, task or inject
	Occurrence int
	Approval   bool
	To         []string
	After      []string
}

// MarshalJSON writes the format's machine-readable plan entry.
func (o Occurrence) MarshalJSON() ([]byte, error) {
	to := o.To
	if to == nil {
		to = []string{}
	}
	return json.Marshal(struct {
		Offset        string   `json:"offset"`
		OffsetSeconds int64    `json:"offset_seconds"`
		At            *string  `json:"at"`
		Step          string   `json:"step"`
		Title         string   `json:"title,omitempty"`
		Phase         string   `json:"phase,omitempty"`
		Kind          string   `json:"kind"`
		Occurrence    int      `json:"occurrence"`
		Approval      bool     `json:"approval"`
		To            []string `json:"to"`
		After         []string `json:"after,omitempty"`
	}{
		Offset: o.Offset.String(), OffsetSeconds: int64(o.Offset / time.Second), At: rfc3339(o.At),
		Step: o.Step, Title: o.Title, Phase: o.Phase, Kind: o.Kind, Occurrence: o.Occurrence,
		Approval: o.Approval, To: to, After: o.After,
	})
}

func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// firstOffset is when a recurring step may first fire, after activation.
func (s *Step) firstOffset() time.Duration {
	switch {
	case s.Start != nil:
		return s.Start.D
	case s.Every != nil:
		return s.Every.interval // @every D alone first fires after D
	}
	return 0
}

// NextOccurrence returns when a recurring step fires next, strictly after
// `after`, for an activation that started at `activated`. ok is false when
// it will not fire again (past its until, or a spec with no more dates).
func (rb *Runbook) NextOccurrence(s *Step, activated, after time.Time) (time.Time, bool) {
	if s.Every == nil {
		return time.Time{}, false
	}
	anchor := activated.Add(s.firstOffset())
	from := after
	if !from.After(anchor.Add(-time.Nanosecond)) {
		from = anchor.Add(-time.Nanosecond) // the first occurrence may be at anchor itself
	}
	t, ok := s.Every.next(anchor, from, rb.location)
	if !ok || (s.Until != nil && t.After(activated.Add(s.Until.D))) {
		return time.Time{}, false
	}
	return t, true
}

// Plan expands the runbook's schedule for an activation at start, up to
// start+horizon: every step and (for exercises) inject with its time.
// Steps that wait for others appear at the earliest time they could run,
// assuming each step completes as soon as it fires.
func Plan(rb *Runbook, start time.Time, horizon time.Duration, opts PlanOptions) ([]Occurrence, error) {
	start = start.In(rb.location)
	end := start.Add(horizon)
	var out []Occurrence
	add := func(o Occurrence) error {
		if len(out) >= maxPlanned {
			return fmt.Errorf("the plan has more than %d occurrences; choose a shorter horizon", maxPlanned)
		}
		o.Offset = o.At.Sub(start)
		out = append(out, o)
		return nil
	}
	onceAt := rb.onceTimes(start)
	for i := range rb.Steps {
		s := &rb.Steps[i]
		o := Occurrence{Step: string(s.ID), Title: s.Title, Phase: string(s.Phase), Kind: s.Kind(), Occurrence: 1,
			Approval: s.Notify != nil && s.Notify.Approval != nil, To: rb.planTargets(s, opts), After: Names(s.After)}
		if s.Every == nil {
			o.At = onceAt[string(s.ID)]
			if !o.At.After(end) {
				if err := add(o); err != nil {
					return nil, err
				}
			}
			continue
		}
		for t, ok := rb.NextOccurrence(s, start, start.Add(-time.Nanosecond)); ok && !t.After(end); t, ok = rb.NextOccurrence(s, start, t) {
			o.At = t.In(rb.location)
			if err := add(o); err != nil {
				return nil, err
			}
			o.Occurrence++
		}
	}
	if opts.Exercise && rb.Exercise != nil {
		for _, in := range rb.Exercise.Injects {
			t := start.Add(in.At.D)
			if !t.After(end) {
				if err := add(Occurrence{At: t, Step: string(in.ID), Kind: "inject", Occurrence: 1, To: Names(in.To)}); err != nil {
					return nil, err
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Occurrence) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Step, b.Step), cmp.Compare(a.Occurrence, b.Occurrence))
	})
	return out, nil
}

// onceTimes is when each one-off step would fire if every step completed
// the moment it fired.
func (rb *Runbook) onceTimes(start time.Time) map[string]time.Time {
	times := map[string]time.Time{}
	var timeOf func(s *Step, depth int) time.Time
	timeOf = func(s *Step, depth int) time.Time {
		if t, ok := times[string(s.ID)]; ok {
			return t
		}
		t := start
		switch {
		case s.At != nil:
			t = start.Add(s.At.D)
		case len(s.After) > 0 && depth < len(rb.Steps):
			for _, ref := range s.After {
				if dep, ok := rb.Step(ref.Name); ok {
					if dt := timeOf(dep, depth+1); dt.After(t) {
						t = dt
					}
				}
			}
			if s.Delay != nil {
				t = t.Add(s.Delay.D)
			}
		}
		times[string(s.ID)] = t.In(rb.location)
		return times[string(s.ID)]
	}
	for i := range rb.Steps {
		if rb.Steps[i].Every == nil {
			timeOf(&rb.Steps[i], 0)
		}
	}
	return times
}

// planTargets is where a step's message or task goes.
func (rb *Runbook) planTargets(s *Step, opts PlanOptions) []string {
	switch {
	case s.Task != nil:
		return []string{s.Task.Assignee.Name}
	case opts.Exercise && rb.Exercise != nil && len(rb.Exercise.Redirect) > 0:
		return Names(rb.Exercise.Redirect)
	case s.Notify != nil:
		return Names(s.Notify.To)
	}
	return nil
}
