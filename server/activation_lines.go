package server

import (
	"maps"
	"slices"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// activationLine is an activation as the dashboard and the archive list
// it. Its start and end are in real time, whatever clock an exercise ran
// on; an exercise run faster than real time also has its end in
// exercise time, labelled as such.
type activationLine struct {
	activationView
	Started time.Time // real time
	Ended   time.Time // real time; zero while it runs
	// EndedScenario is an exercise's end in its own time, when that is
	// not the real time it ended.
	EndedScenario time.Time
	// Shown are the first parameters, in the runbook's order; the rest
	// are on the activation page.
	Shown      []paramValue
	MoreParams int
}

// paramValue is one parameter an activation was given.
type paramValue struct{ Name, Value string }

// shownParams is how many parameters a line in a list shows.
const shownParams = 2

// lineOf is an activation as a list shows it.
func (s *Server) lineOf(v activationView, a *state.Activation) activationLine {
	l := activationLine{activationView: v, Started: a.StartedAt}
	if !a.EndedAt.IsZero() {
		l.Ended = realTime(a, a.EndedAt)
		if l.Ended.Sub(a.EndedAt).Abs() >= time.Second {
			l.EndedScenario = a.EndedAt
		}
	}
	all := s.paramsOf(a)
	l.Shown = all[:min(len(all), shownParams)]
	l.MoreParams = len(all) - len(l.Shown)
	return l
}

// realTime turns a time in an activation's own time into the real time
// it happened: the same for a live activation and one run in real time;
// for a faster exercise, by its last pace, which holds to its end.
func realTime(a *state.Activation, t time.Time) time.Time {
	scenario0, wall0, speed := engine.ExerciseClock(a)
	return wall0.Add(time.Duration(float64(t.Sub(scenario0)) / speed))
}

// paramsOf lists an activation's parameters in its runbook's order, any
// it does not declare after them by name.
func (s *Server) paramsOf(a *state.Activation) []paramValue {
	var out []paramValue
	seen := map[string]bool{}
	if rb, err := s.engine.Runbook(a.ID); err == nil {
		for _, p := range rb.Params {
			if v, ok := a.Params[p.Name]; ok && v != "" {
				out = append(out, paramValue{p.Name, v})
				seen[p.Name] = true
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Params)) {
		if !seen[k] && a.Params[k] != "" {
			out = append(out, paramValue{k, a.Params[k]})
		}
	}
	return out
}

// liveFirst puts live activations before exercises, keeping each in the
// order it had.
func liveFirst(ls []activationLine) {
	slices.SortStableFunc(ls, func(a, b activationLine) int {
		switch {
		case a.Mode == b.Mode:
			return 0
		case a.Mode == "live":
			return -1
		}
		return 1
	})
}
