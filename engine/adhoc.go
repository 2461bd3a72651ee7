package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// AdHocStep is the step an ad-hoc message is filed under. It cannot be a
// runbook's step (a step id has no underscore), so an ad-hoc message's id,
// a-000001/ad_hoc/14 (by the index of the command that wrote it), is
// never a step occurrence's.
const AdHocStep = "ad_hoc"

// AdHocID names the ad-hoc message the command at a log index writes.
func AdHocID(activation string, index uint64) string {
	return fmt.Sprintf("%s/%s/%d", activation, AdHocStep, index)
}

// stepOf is the step a message is sent by: its runbook step, or for an
// ad-hoc message, one made of who it goes to and who approves it.
func stepOf(rb *runbooks.Runbook, m *state.Message) (*runbooks.Step, bool) {
	if m.AdHoc == nil {
		return rb.Step(m.Step)
	}
	return &runbooks.Step{ID: AdHocStep, Title: "Ad-hoc message", Notify: &runbooks.Notify{
		To:       refs(m.AdHoc.To),
		Approval: &runbooks.Approval{Approvers: refs(m.AdHoc.Approvers), Min: m.MinApprovals},
	}}, true
}

// MessageStep is the step a message is sent by, as stepOf: for pages
// that say where it goes.
func MessageStep(rb *runbooks.Runbook, m *state.Message) (*runbooks.Step, bool) { return stepOf(rb, m) }

func refs(names []string) []runbooks.Ref {
	out := make([]runbooks.Ref, len(names))
	for i, n := range names {
		out[i] = runbooks.Ref{Name: n}
	}
	return out
}

// stepName names a step for people, by its title: "the step “Road
// closure statement”", or "this ad-hoc message".
func stepName(s *runbooks.Step) string {
	if s.ID == AdHocStep {
		return "this ad-hoc message"
	}
	return "the step “" + cmpOr(s.Title, string(s.ID)) + "”"
}

// LanguageName is a BCP 47 tag's language in English, with the tag:
// "Welsh (cy)"; the tag alone when it names no language crier knows.
func LanguageName(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	name := display.English.Tags().Name(t)
	if name == "" || strings.EqualFold(name, tag) {
		return tag
	}
	return name + " (" + tag + ")"
}

// AdHocApprovers are who approve an ad-hoc message to audiences, and how
// many must: the approvers of the runbook's steps that notify any of
// those audiences, and the largest min among those steps; when no such
// step needs approval, every approver in the runbook and the largest min
// of all. Never fewer than one, and never more than there are approvers
// other than its writer (writer: as the runbook knows them; "" for
// anyone), for no one approves what they wrote: none at all when only
// the writer may approve it, and then it cannot be written.
func AdHocApprovers(rb *runbooks.Runbook, dir *directory.Directory, audiences []string, writer string) (approvers []string, least int) {
	return adHocApprovers(rb, view(dir), audiences, writer)
}

func adHocApprovers(rb *runbooks.Runbook, dir runbooks.Directory, audiences []string, writer string) (approvers []string, least int) {
	collect := func(keep func(*runbooks.Step) bool) {
		for i := range rb.Steps {
			s := &rb.Steps[i]
			if s.Notify == nil || s.Notify.Approval == nil || !keep(s) {
				continue
			}
			for _, sh := range rb.Reach(s.Notify.Approval.Approvers).Stakeholders {
				if !slices.Contains(approvers, string(sh.ID)) {
					approvers = append(approvers, string(sh.ID))
				}
			}
			least = max(least, s.Notify.Approval.Min, 1)
		}
	}
	collect(func(s *runbooks.Step) bool {
		return slices.ContainsFunc(s.Notify.To, func(r runbooks.Ref) bool { return slices.Contains(audiences, r.Name) })
	})
	if len(approvers) == 0 {
		collect(func(*runbooks.Step) bool { return true })
	}
	others := len(approvers)
	if slices.ContainsFunc(approvers, func(id string) bool {
		sh, _ := stakeholderFor(rb, nil, id)
		return writer != "" && runbooks.IsAs(sh, dir, writer)
	}) {
		others--
	}
	return approvers, min(least, others)
}

// writeMessage makes an ad-hoc message: written by a comms officer during
// the activation, to audiences of the runbook, held for approval like a
// step's. Once approved it goes out as every message does, through
// dispatch: marked in an exercise, and kept to the exercise's bounds.
func (f *fsm) writeMessage(w *writer, c *WriteMessage) error {
	a, rb, err := f.activationOf(w, c.Activation)
	if err != nil {
		return err
	}
	if a.State != state.ActivationActive {
		return fmt.Errorf("activation %s has ended (%s): nothing more is sent", a.ID, strings.ReplaceAll(a.State, "_", " "))
	}
	if len(c.To) == 0 {
		return invalid("choose at least one audience to send the message to")
	}
	var to []string
	for _, name := range c.To {
		if !slices.ContainsFunc(rb.Audiences, func(au runbooks.Audience) bool { return string(au.ID) == name }) {
			return invalid("%q is not an audience of runbook %q", name, rb.ID)
		}
		if !slices.Contains(to, name) {
			to = append(to, name)
		}
	}
	if strings.TrimSpace(c.Subject) == "" || strings.TrimSpace(c.Body) == "" {
		return invalid("an ad-hoc message needs a subject and a text")
	}
	dir := w.fsm.directory(w.tx)
	approvers, least := adHocApprovers(rb, dir, to, c.By)
	if c.Rumour != "" {
		r, err := w.tx.Rumour(nil, c.Rumour)
		if err != nil || r == nil || r.ActivationID != a.ID {
			return notFound("no rumour %q in activation %s", c.Rumour, a.ID)
		}
		if err := correctionWaiting(w, r); err != nil {
			return err
		}
		if approvers, least, err = correctionApprovers(rb, dir, c.By); err != nil {
			return err
		}
	}
	if len(approvers) == 0 {
		return invalid("the runbook “%s” names no approvers, so no one could approve an ad-hoc message: add an approval to one of its steps", cmpOr(rb.Title, string(rb.ID)))
	}
	sh, known := stakeholderFor(rb, dir, c.By)
	writer := &runbooks.Stakeholder{ID: runbooks.Slug(c.By)}
	if known {
		writer = sh
	}
	if least == 0 {
		return notAllowed("only you may approve a message to %s, and no one approves their own message: ask another comms officer to write it, or add an approver to the runbook",
			strings.Join(to, " and "))
	}
	langs := map[string]bool{}
	for _, name := range to {
		for _, au := range rb.Audiences {
			if string(au.ID) == name {
				for _, l := range au.Languages {
					langs[l.Name] = true
				}
			}
		}
	}
	id := AdHocID(a.ID, w.meta.Index)
	m := &state.Message{ID: id, ActivationID: a.ID, Step: AdHocStep, State: state.MessagePendingApproval,
		AdHoc: &state.AdHoc{To: to, Approvers: approvers, Rumour: c.Rumour}, NeedsApproval: true, MinApprovals: least,
		CreatedAt: w.meta.At, UpdatedAt: w.meta.At}
	s, _ := stepOf(rb, m)
	subject, body := marked(a, rb, c.Subject, c.Body)
	if err := fitsText(a, rb, w.fsm.directory(w.tx), s, subject, body); err != nil {
		return err
	}
	for _, lang := range slices.Sorted(maps.Keys(c.Translations)) {
		tr := c.Translations[lang]
		if !langs[lang] {
			return invalid("none of the audiences chosen reads %s: a translation goes to an audience that reads it", LanguageName(lang))
		}
		if strings.TrimSpace(tr.Body) == "" {
			continue // left empty: no translation in that language
		}
		tSubject, tBody := marked(a, rb, cmpOr(tr.Subject, c.Subject), tr.Body)
		if err := fitsText(a, rb, w.fsm.directory(w.tx), s, tSubject, tBody); err != nil {
			return fmt.Errorf("the %s translation: %w", LanguageName(lang), err)
		}
		if m.Translations == nil {
			m.Translations = map[string]state.Translation{}
		}
		m.Translations[lang] = state.Translation{Subject: tSubject, Body: tBody}
	}
	who := person(w.meta, writer, false)
	m.Revisions = []state.Revision{{N: 1, Subject: subject, Body: body, EditedBy: string(writer.ID), Editor: who, At: w.meta.At}}
	if err := w.tx.UpsertMessage(m); err != nil {
		return err
	}
	if r, _ := w.tx.Rumour(nil, c.Rumour); r != nil && r.CorrectedAt.IsZero() {
		// the register names the correction under way until one goes out;
		// a further one after that (to another audience) leaves it be
		next := *r
		next.Correction = m.ID
		if err := w.tx.UpsertRumour(&next); err != nil {
			return err
		}
	}
	return w.event(a.ID, "message_drafted", m.ID, fmt.Sprintf("ad-hoc, written by %s to %s, held for approval: %s",
		actingAs(who, writer), strings.Join(to, ", "), subject))
}

func cmpOr(s, or string) string {
	if strings.TrimSpace(s) == "" {
		return or
	}
	return s
}
