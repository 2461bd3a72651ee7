package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// The community tension log: anyone signed in records how tense a
// community in an area is (1 calm to 5 disorder likely) and which way it
// is going, as the guidance asks councils to monitor after a trigger
// event. A rise to TensionHigh or more tells the runbook's
// tension.escalate_to at once.

// TensionHigh is the level from which a rise is told: disorder possible.
const TensionHigh = 4

// RecordTension adds an entry to an activation's tension log.
type RecordTension struct {
	Meta
	Activation string `json:"activation"`
	Area       string `json:"area"`
	Community  string `json:"community,omitempty"`
	Level      int    `json:"level"`
	Trend      string `json:"trend"`
	Note       string `json:"note,omitempty"`
}

func (*RecordTension) Kind() string { return "record_tension" }

// TensionID is the id of the entry a RecordTension at this log index makes.
func TensionID(activation string, index uint64) string {
	return fmt.Sprintf("%s/tension/%d", activation, index)
}

func (f *fsm) recordTension(w *writer, c *RecordTension) error {
	a, rb, err := f.activationOf(w, c.Activation)
	if err != nil {
		return err
	}
	area, community := strings.TrimSpace(c.Area), strings.TrimSpace(c.Community)
	switch {
	case area == "":
		return invalid("a tension entry needs the area it is about")
	case c.Level < 1 || c.Level > 5:
		return invalid("level %d is not on the scale: 1 (calm) to 5 (disorder likely)", c.Level)
	case !slices.Contains(state.Trends, c.Trend):
		return invalid("trend %q is not one of %s", c.Trend, strings.Join(state.Trends, ", "))
	}
	before, err := w.tx.TensionOf(nil, a.ID)
	if err != nil {
		return err
	}
	previous := 0
	for _, e := range before {
		if strings.EqualFold(e.Area, area) && strings.EqualFold(e.Community, community) {
			previous = e.Level
		}
	}
	e := &state.Tension{ID: TensionID(a.ID, w.meta.Index), ActivationID: a.ID, Area: area, Community: community,
		Level: c.Level, Trend: c.Trend, Note: strings.TrimSpace(c.Note), By: w.meta.Actor, At: w.meta.At}
	if err := w.tx.UpsertTension(e); err != nil {
		return err
	}
	where := area
	if community != "" {
		where += " (" + community + ")"
	}
	if err := w.event(a.ID, "tension_recorded", e.ID, fmt.Sprintf("%s: level %d, %s", where, c.Level, c.Trend)); err != nil {
		return err
	}
	if c.Level < TensionHigh || previous >= TensionHigh || rb.Tension == nil {
		return nil
	}
	return tellTension(w, a, rb, e, where, previous)
}

// tellTension tells the runbook's tension.escalate_to of a rise to a high
// level, each by the first contact they have.
func tellTension(w *writer, a *state.Activation, rb *runbooks.Runbook, e *state.Tension, where string, previous int) error {
	var ids []string
	for _, sh := range rb.Reach(rb.Tension.EscalateTo).Stakeholders {
		ids = append(ids, string(sh.ID))
	}
	was := "first recorded"
	if previous > 0 {
		was = fmt.Sprintf("up from %d", previous)
	}
	if err := w.event(a.ID, "tension_raised", e.ID, fmt.Sprintf("%s: level %d (%s); told %s", where, e.Level, was, names(rb, ids))); err != nil {
		return err
	}
	body := strings.TrimSpace(fmt.Sprintf("Community tension in %s is at level %d of 5 (%s), %s, recorded by %s in activation %s (%s).\n%s",
		where, e.Level, was, e.Trend, e.By, a.ID, a.Title, e.Note))
	return tell(w, a, rb, w.people(a), &state.Message{ID: e.ID, Step: "tension", About: e.ID},
		fmt.Sprintf("Community tension %d in %s", e.Level, where), body, ids)
}
