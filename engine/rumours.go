package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// The rumour register, as the guidance on trigger events asks: correct
// inaccuracies and rumours before they spread. Anyone signed in logs a
// rumour; a comms officer assesses it; a correction is written as an
// ad-hoc message to any of the runbook's audiences, approved as messages
// are by the approvers the runbook's rumours section names, and the
// register records when it went out.

// SeenAtLeeway is how far ahead of the activation's clock a rumour's
// seen_at may be (clocks differ a little); further is refused.
const SeenAtLeeway = 5 * time.Minute

// LogRumour adds a rumour to an activation's register.
type LogRumour struct {
	Meta
	Activation  string    `json:"activation"`
	Summary     string    `json:"summary"`
	Source      string    `json:"source,omitempty"`
	Where       string    `json:"where,omitempty"`
	SeenAt      time.Time `json:"seen_at,omitzero"` // when it was seen; when it was logged if not given
	Communities []string  `json:"communities,omitempty"`
}

// AssessRumour gives a rumour its verdict.
type AssessRumour struct {
	Meta
	Rumour  string `json:"rumour"`
	Verdict string `json:"verdict"` // false, misleading, unverified or true
	Note    string `json:"note,omitempty"`
}

func (*LogRumour) Kind() string    { return "log_rumour" }
func (*AssessRumour) Kind() string { return "assess_rumour" }

// RumourID is the id of the rumour a LogRumour at this log index makes.
func RumourID(activation string, index uint64) string {
	return RumourIn(activation, strconv.FormatUint(index, 10))
}

// RumourIn is the id of an activation's rumour by its number, the last
// part of its id, as the API's paths and the activation page give it.
func RumourIn(activation, n string) string {
	return activation + "/" + rumourStep + "/" + n
}

const (
	checkCorrection = "correction_check" // a rumour not yet corrected
	rumourStep      = "rumour"           // the check's step: a rumour's id is activation/rumour/n
)

func (f *fsm) logRumour(w *writer, c *LogRumour) error {
	a, rb, err := f.activationOf(w, c.Activation)
	if err != nil {
		return err
	}
	if strings.TrimSpace(c.Summary) == "" {
		return invalid("a rumour needs a summary of what is being said")
	}
	seen := c.SeenAt
	if seen.IsZero() {
		seen = w.meta.At
	}
	if seen.After(w.meta.At.Add(SeenAtLeeway)) {
		return invalid("seen_at: %s is after the rumour is logged (%s): a rumour is seen before it is logged; give when it was seen, or leave it out",
			seen.In(rb.Location()).Format(time.RFC3339), w.meta.At.In(rb.Location()).Format(time.RFC3339))
	}
	var communities []string
	for _, cm := range c.Communities {
		if cm = strings.TrimSpace(cm); cm != "" && !slices.Contains(communities, cm) {
			communities = append(communities, cm)
		}
	}
	r := &state.Rumour{ID: RumourID(a.ID, w.meta.Index), ActivationID: a.ID, Summary: strings.TrimSpace(c.Summary),
		Source: strings.TrimSpace(c.Source), Where: strings.TrimSpace(c.Where), SeenAt: seen.UTC(), Communities: communities,
		LoggedBy: w.meta.Actor, LoggedAt: w.meta.At}
	if err := w.tx.UpsertRumour(r); err != nil {
		return err
	}
	if chain, ok := rb.CorrectionChain(); ok {
		if err := w.scheduleCheck(a, rumourStep, checkCorrection, r.ID, 1, 1, r.LoggedAt.Add(chain.Deadline)); err != nil {
			return err
		}
	}
	return w.event(a.ID, "rumour_logged", r.ID, r.Summary)
}

func (f *fsm) assessRumour(w *writer, c *AssessRumour) error {
	r, err := w.tx.Rumour(nil, c.Rumour)
	switch {
	case err != nil:
		return err
	case r == nil:
		return notFound("no rumour %q", c.Rumour)
	case strings.TrimSpace(c.Verdict) == "":
		return invalid("choose a verdict: %s", strings.Join(state.Verdicts, ", "))
	case !slices.Contains(state.Verdicts, c.Verdict):
		return invalid("verdict %q is not one of %s", c.Verdict, strings.Join(state.Verdicts, ", "))
	}
	a, _, err := f.activationOf(w, r.ActivationID)
	if err != nil {
		return err
	}
	next := *r
	next.Verdict, next.VerdictNote, next.AssessedBy, next.AssessedAt = c.Verdict, strings.TrimSpace(c.Note), w.meta.Actor, w.meta.At
	if err := w.tx.UpsertRumour(&next); err != nil {
		return err
	}
	if c.Verdict == "true" { // nothing to correct: no one is chased for it
		if _, err := stopChecks(w, a, checkCorrection, r.ID); err != nil {
			return err
		}
	}
	return w.event(r.ActivationID, "rumour_assessed", r.ID, c.Verdict+": "+r.Summary)
}

// correctionApprovers are who approve a correction, and how many must: the
// runbook's rumours section, never more than there are besides its writer.
func correctionApprovers(rb *runbooks.Runbook, dir runbooks.Directory, writer string) ([]string, int, error) {
	if rb.Rumours == nil {
		return nil, 0, invalid("runbook %q has no rumours section naming who approves a correction: add one", rb.ID)
	}
	var ids []string
	others := 0
	for _, sh := range rb.Reach(rb.Rumours.Approvers).Stakeholders {
		ids = append(ids, string(sh.ID))
		if writer == "" || !runbooks.IsAs(sh, dir, writer) {
			others++
		}
	}
	least := min(max(rb.Rumours.Min, 1), others)
	if least == 0 {
		return nil, 0, notAllowed("only you may approve a correction, and no one approves their own message: ask another comms officer to write it")
	}
	return ids, least, nil
}

// correctionWaiting refuses a second correction of a rumour while the one
// written before waits for approval: that one is to be edited instead.
// Once it is rejected (or cancelled), or has gone out, another may be
// written.
func correctionWaiting(w *writer, r *state.Rumour) error {
	if r.Correction == "" || !r.CorrectedAt.IsZero() {
		return nil
	}
	m, err := w.tx.Message(nil, r.Correction)
	if err != nil {
		return err
	}
	if m != nil && m.State == state.MessagePendingApproval {
		return fmt.Errorf("correction %s of this rumour is waiting for approval: edit that one instead of writing another", m.ID)
	}
	return nil
}

// corrected notes, when a correction goes out, when the rumour was
// corrected and by which message: the first correction to go out is the
// one the register keeps.
func corrected(w *writer, m *state.Message) error {
	if m.AdHoc == nil || m.AdHoc.Rumour == "" {
		return nil
	}
	r, err := w.tx.Rumour(nil, m.AdHoc.Rumour)
	if err != nil || r == nil || !r.CorrectedAt.IsZero() {
		return err
	}
	next := *r
	next.Correction, next.CorrectedAt = m.ID, w.meta.At
	if err := w.tx.UpsertRumour(&next); err != nil {
		return err
	}
	a, err := w.tx.Activation(nil, r.ActivationID)
	if err != nil {
		return err
	}
	if _, err := stopChecks(w, a, checkCorrection, r.ID); err != nil {
		return err
	}
	return w.event(r.ActivationID, "rumour_corrected", r.ID, fmt.Sprintf("corrected %s after it was logged: %s",
		runbooks.HumanDuration(w.meta.At.Sub(r.LoggedAt).Truncate(time.Second)), r.Summary))
}

// correctionWatch is what a correction check looks at: a rumour without
// its correction, unless it was found true, waits on the approvers.
func correctionWatch(tx *state.Txn, rb *runbooks.Runbook, o *state.Occurrence) (watch, error) {
	x := watch{reason: state.EscalationCorrectionOverdue}
	var ok bool
	if x.chain, ok = rb.CorrectionChain(); !ok {
		return x, fmt.Errorf("runbook %q sets no rumours.correct_within for its correction check", rb.ID)
	}
	r, err := tx.Rumour(nil, o.Subject)
	if err != nil || r == nil {
		return x, err
	}
	x.what = "the correction of the rumour " + quoted(r.Summary)
	if r.CorrectedAt.IsZero() && r.Verdict != "true" {
		for _, sh := range rb.Reach(rb.Rumours.Approvers).Stakeholders {
			x.waiting = append(x.waiting, string(sh.ID))
		}
	}
	return x, nil
}

// quoted is a person's words inside a sentence, cut short when long.
func quoted(s string) string {
	if r := []rune(s); len(r) > 80 {
		s = strings.TrimSpace(string(r[:79])) + "…"
	}
	return "“" + s + "”"
}

// RumourReport is a rumour in the report: when it was logged, how it was
// assessed, when its correction went out and whether in time.
type RumourReport struct {
	ID          string     `json:"id"`
	Summary     string     `json:"summary"`
	Where       string     `json:"where,omitempty"`
	Communities []string   `json:"communities,omitempty"`
	LoggedAt    time.Time  `json:"logged_at"`
	LoggedBy    string     `json:"logged_by"`
	Verdict     string     `json:"verdict,omitempty"`
	Correction  string     `json:"correction,omitempty"`
	CorrectedAt *time.Time `json:"corrected_at,omitempty"`
	// TimeToCorrectionSeconds is from logged to corrected; Met, against
	// the runbook's rumours.correct_within when it sets one.
	TimeToCorrectionSeconds *int64 `json:"time_to_correction_seconds,omitempty"`
	TargetSeconds           *int64 `json:"target_seconds,omitempty"`
	Met                     *bool  `json:"met,omitempty"`
}

func rumourReports(tx *state.Txn, rb *runbooks.Runbook, activation string, cutoff time.Time) ([]RumourReport, error) {
	rumours, err := tx.RumoursOf(nil, activation)
	if err != nil {
		return nil, err
	}
	var target *int64
	if rb.Rumours != nil && rb.Rumours.CorrectWithin != nil {
		t := int64(rb.Rumours.CorrectWithin.D / time.Second)
		target = &t
	}
	var out []RumourReport
	for _, r := range rumours {
		rr := RumourReport{ID: r.ID, Summary: r.Summary, Where: r.Where, Communities: r.Communities, LoggedAt: r.LoggedAt,
			LoggedBy: r.LoggedBy, Verdict: r.Verdict, Correction: r.Correction, TargetSeconds: target}
		if !r.CorrectedAt.IsZero() {
			at := r.CorrectedAt
			took := int64(at.Sub(r.LoggedAt) / time.Second)
			rr.CorrectedAt, rr.TimeToCorrectionSeconds = &at, &took
		}
		switch {
		case target == nil || r.Verdict == "true":
		case rr.TimeToCorrectionSeconds != nil:
			met := *rr.TimeToCorrectionSeconds <= *target
			rr.Met = &met
		case cutoff.Sub(r.LoggedAt) > time.Duration(*target)*time.Second:
			met := false // not corrected, and now late
			rr.Met = &met
		}
		out = append(out, rr)
	}
	return out, nil
}
