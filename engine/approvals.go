package engine

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers/sms"
	"github.com/crierhq/crier/runbooks"
)

// stakeholderFor finds the stakeholder someone is: by id, else by email
// address or Slack user id, their own or, for a stakeholder kept in the
// directory, its person's or of anyone on its rota.
func stakeholderFor(rb *runbooks.Runbook, dir runbooks.Directory, who string) (*runbooks.Stakeholder, bool) {
	all := make([]*runbooks.Stakeholder, len(rb.Stakeholders))
	for i := range rb.Stakeholders {
		all[i] = &rb.Stakeholders[i]
	}
	return actsFor(dir, who, all)
}

// actsFor is the one of among that who acts as: named by id, else a post
// that is theirs (their own contacts, their person in the directory), else
// a rota they are on. One person may be several stakeholders (the head of
// communications, and on the duty comms rota's cover): each rule asks
// about the ones it concerns, and credits the post they hold before a
// rota they may stand in for.
func actsFor(dir runbooks.Directory, who string, among []*runbooks.Stakeholder) (*runbooks.Stakeholder, bool) {
	for _, pass := range []func(*runbooks.Stakeholder) bool{
		func(sh *runbooks.Stakeholder) bool { return string(sh.ID) == who },
		func(sh *runbooks.Stakeholder) bool { return sh.Rota == "" && runbooks.IsAs(sh, dir, who) },
		func(sh *runbooks.Stakeholder) bool { return runbooks.IsAs(sh, dir, who) },
	} {
		if i := slices.IndexFunc(among, pass); i >= 0 {
			return among[i], true
		}
	}
	return nil, false
}

// MayApproveMessage reports whether the runbook names who as an approver
// of a message: of its step's, or of an ad-hoc message, one of those it
// settled on when it was written.
func MayApproveMessage(rb *runbooks.Runbook, dir *directory.Directory, m *state.Message, who string) bool {
	s, ok := stepOf(rb, m)
	if !ok || s.Notify == nil || s.Notify.Approval == nil {
		return false
	}
	_, err := approver(rb, view(dir), s, who)
	return err == nil
}

// ApproversOf names the stakeholders who may approve a message.
func ApproversOf(rb *runbooks.Runbook, dir *directory.Directory, m *state.Message) []string {
	s, ok := stepOf(rb, m)
	if !ok || s.Notify == nil || s.Notify.Approval == nil {
		return nil
	}
	var names []string
	for _, sh := range rb.Reach(s.Notify.Approval.Approvers).Stakeholders {
		names = append(names, sh.NameIn(view(dir)))
	}
	return names
}

// IsAssignee reports whether who (a stakeholder id, an email address or a
// Slack user id) is, or holds the role, a task is assigned to.
func IsAssignee(rb *runbooks.Runbook, dir *directory.Directory, assignee, who string) bool {
	_, ok := actsFor(view(dir), who, rb.Reach([]runbooks.Ref{{Name: assignee}}).Stakeholders)
	return ok
}

// awaiting loads a message that is waiting for approval, with its
// activation, runbook and step.
func (f *fsm) awaiting(w *writer, id string) (*state.Message, *state.Activation, *runbooks.Runbook, *runbooks.Step, error) {
	m, err := w.tx.Message(nil, id)
	switch {
	case err != nil:
		return nil, nil, nil, nil, err
	case m == nil:
		return nil, nil, nil, nil, notFound("no message %q", id)
	case m.State != state.MessagePendingApproval:
		return nil, nil, nil, nil, fmt.Errorf("this message is %s, not waiting for approval", strings.ReplaceAll(m.State, "_", " "))
	}
	a, err := w.tx.Activation(nil, m.ActivationID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rb, err := f.runbook(a)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	s, ok := stepOf(rb, m)
	if !ok || s.Notify == nil || s.Notify.Approval == nil {
		return nil, nil, nil, nil, fmt.Errorf("this message needs no approval")
	}
	return m, a, rb, s, nil
}

// seen refuses a decision taken on a revision other than the message's
// current one: someone has saved a newer revision since the person
// opened it, and they decide again once they have read it. Seen 0 is a
// decision that does not say (an older record, an API client that
// does not ask), taken on whatever revision is current.
func seen(rb *runbooks.Runbook, m *state.Message, revision int) error {
	cur := m.Current()
	switch {
	case revision == 0 || revision == cur.N:
		return nil
	case revision > cur.N:
		return invalid("there is no revision %d of this message: revision %d is the latest", revision, cur.N)
	}
	return fmt.Errorf("%s saved revision %d since you opened revision %d: read it, then decide again", writerOf(rb, cur), cur.N, revision)
}

// writerOf names who wrote a revision: the person, else the stakeholder
// by name.
func writerOf(rb *runbooks.Runbook, rev state.Revision) string {
	if rev.Editor != "" && rev.Editor != rev.EditedBy {
		return rev.Editor
	}
	for _, sh := range rb.Stakeholders {
		if string(sh.ID) == rev.EditedBy && sh.Name != "" {
			return sh.Name
		}
	}
	return cmp.Or(rev.EditedBy, "the runbook")
}

// approver checks that who may approve the step's messages.
func approver(rb *runbooks.Runbook, dir runbooks.Directory, s *runbooks.Step, who string) (*runbooks.Stakeholder, error) {
	sh, ok := actsFor(dir, who, rb.Reach(s.Notify.Approval.Approvers).Stakeholders)
	if !ok {
		return nil, notAllowed("%s is not an approver of %s", who, stepName(s))
	}
	return sh, nil
}

func (f *fsm) approve(w *writer, c *Approve) error {
	m, a, rb, s, err := f.awaiting(w, c.Message)
	if err != nil {
		return err
	}
	sh, err := approver(rb, w.fsm.directory(w.tx), s, c.By)
	if err != nil {
		return err
	}
	if err := seen(rb, m, c.Revision); err != nil {
		return err
	}
	rev := m.Current()
	// Four eyes, person by person: where either side has no person behind
	// it (a system, an older record), stakeholder by stakeholder.
	who := person(w.meta, sh, c.Simulated)
	byPerson := rev.Editor != "" && rev.Editor != rev.EditedBy && who != string(sh.ID)
	if byPerson && rev.Editor == who || !byPerson && rev.EditedBy == string(sh.ID) {
		return notAllowed("four eyes: %s wrote revision %d, so someone else must approve it", who, rev.N)
	}
	given, err := w.tx.ApprovalsOf(nil, m.ID)
	if err != nil {
		return err
	}
	dir := w.fsm.directory(w.tx)
	approvers := map[string]bool{} // by person
	signed := map[string]bool{}    // by organisation
	for _, p := range given {
		if p.Revision == rev.N {
			approvers[cmp.Or(p.Person, p.By)] = true
			signed[p.Organisation] = true
		}
	}
	if approvers[who] {
		return fmt.Errorf("%s has already approved revision %d", who, rev.N)
	}
	approvers[who] = true
	org := signsFor(sh, dir, c.By, w.meta.At)
	signed[org] = true
	p := &state.Approval{ID: fmt.Sprintf("%s/approval/%d", m.ID, w.meta.Index), MessageID: m.ID, Revision: rev.N,
		By: string(sh.ID), Person: who, Organisation: org, At: w.meta.At, Simulated: c.Simulated}
	if err := w.tx.UpsertApproval(p); err != nil {
		return err
	}
	// Approvals needed: min, or more while an organisation is still to sign.
	unsigned := unsignedBy(s.Notify.Approval, dir, signed)
	needed := max(m.MinApprovals, len(approvers)+len(unsigned))
	detail := fmt.Sprintf("approved revision %d (%d of %d)", rev.N, len(approvers), needed)
	if name, ok := organisationName(dir, org); ok && len(s.Notify.Approval.Organisations) > 0 {
		detail = fmt.Sprintf("approved revision %d for %s (%d of %d)", rev.N, name, len(approvers), needed)
	}
	if c.Simulated {
		detail += " by the simulated controller"
	}
	if len(unsigned) > 0 {
		detail += "; still to sign: " + strings.Join(unsigned, ", ")
	}
	if err := w.event(a.ID, "message_approved", m.ID, actingAs(who, sh)+" "+detail); err != nil {
		return err
	}
	if len(approvers) < m.MinApprovals || len(unsigned) > 0 {
		return nil
	}
	approved := *m
	approved.State = state.MessageApproved
	return send(w, a, rb, s, &approved)
}

// send dispatches an approved message to the step's targets, and its
// translations to the audiences that read them.
func send(w *writer, a *state.Activation, rb *runbooks.Runbook, s *runbooks.Step, m *state.Message) error {
	if s.Notify.AckWithin != nil {
		if err := w.scheduleCheck(a, string(s.ID), checkAck, m.ID, 1, 1, w.meta.At.Add(s.Notify.AckWithin.D)); err != nil {
			return err
		}
	}
	p := w.people(a)
	eps := endpoints(rb, p, s.Notify.To)
	rev := m.Current()
	switch {
	case len(m.Translations) == 0:
	case !rev.CarriesTranslations():
		// An edit that said nothing of the translations: they say what
		// the text said before it was edited, and sending them could
		// spread what the edit corrected.
		if err := w.event(a.ID, "translations_withheld", m.ID, "the message was edited after its translations were made"); err != nil {
			return err
		}
	default:
		if len(rev.Withheld) > 0 {
			if err := w.event(a.ID, "translations_withheld", m.ID, withheldDetail(rev)); err != nil {
				return err
			}
		}
		langs := map[string]bool{}
		for lang := range m.TranslationsOf(rev) {
			langs[lang] = !slices.Contains(rev.Withheld, lang)
		}
		eps = inTheirLanguage(append(eps, translatedEndpoints(rb, p, s.Notify.To, langs)...), langs)
	}
	return dispatch(w, a, rb, m, p, eps)
}

// withheldDetail says who withheld which translations, for the record.
func withheldDetail(rev state.Revision) string {
	var langs []string
	for _, lang := range rev.Withheld {
		langs = append(langs, LanguageName(lang))
	}
	return fmt.Sprintf("the %s translation withheld by %s in revision %d", strings.Join(langs, " and "), cmp.Or(rev.Editor, rev.EditedBy), rev.N)
}

func (f *fsm) reject(w *writer, c *Reject) error {
	m, a, rb, s, err := f.awaiting(w, c.Message)
	if err != nil {
		return err
	}
	sh, err := approver(rb, w.fsm.directory(w.tx), s, c.By)
	if err != nil {
		return err
	}
	if err := seen(rb, m, c.Revision); err != nil {
		return err
	}
	if strings.TrimSpace(c.Reason) == "" {
		return invalid("a rejection needs a reason")
	}
	rejected := *m
	rejected.State, rejected.RejectedBy, rejected.RejectReason, rejected.UpdatedAt = state.MessageRejected, string(sh.ID), c.Reason, w.meta.At
	if err := w.tx.UpsertMessage(&rejected); err != nil {
		return err
	}
	return w.event(a.ID, "message_rejected", m.ID, string(sh.ID)+": "+c.Reason)
}

// edit writes a new revision of a message waiting for approval. Only its
// approvers may: those the runbook trusts with its words.
func (f *fsm) edit(w *writer, c *Edit) error {
	m, a, rb, s, err := f.awaiting(w, c.Message)
	if err != nil {
		return err
	}
	sh, err := approver(rb, w.fsm.directory(w.tx), s, c.By)
	if err != nil {
		return notAllowed("%s is not an approver of %s; only its approvers edit it", c.By, stepName(s))
	}
	if err := seen(rb, m, c.Revision); err != nil {
		return err
	}
	rev, err := revise(w, a, rb, s, m, sh, c.Subject, c.Body, c.Translations, c.Withhold)
	if err != nil {
		return err
	}
	edited := *m
	edited.Revisions = append(slices.Clone(m.Revisions), rev)
	edited.UpdatedAt = w.meta.At
	if err := w.tx.UpsertMessage(&edited); err != nil {
		return err
	}
	return w.event(a.ID, "message_edited", m.ID, fmt.Sprintf("%s wrote revision %d%s; earlier approvals no longer count",
		actingAs(rev.Editor, sh), rev.N, translationsNote(rev)))
}

// revise makes the next revision of a message from what its writer gave.
// In an exercise the new text is marked as the draft was, whether or not
// the writer kept the marking. Translations, when the writer says
// anything of them, are each revised or withheld: none left to chance.
// An edit that says nothing of them (every edit recorded before edits
// carried translations) leaves them out, and the message goes without.
func revise(w *writer, a *state.Activation, rb *runbooks.Runbook, s *runbooks.Step, m *state.Message, sh *runbooks.Stakeholder,
	subject, body string, translations map[string]state.Translation, withhold []string) (state.Revision, error) {
	if strings.TrimSpace(body) == "" {
		return state.Revision{}, invalid("a message needs a body")
	}
	if strings.TrimSpace(subject) == "" {
		subject = m.Current().Subject
	}
	subject, body = marked(a, rb, subject, body)
	if err := fitsText(a, rb, w.fsm.directory(w.tx), s, subject, body); err != nil {
		return state.Revision{}, err
	}
	rev := state.Revision{N: m.Current().N + 1, Subject: subject, Body: body, EditedBy: string(sh.ID),
		Editor: person(w.meta, sh, false), At: w.meta.At}
	if len(translations) == 0 && len(withhold) == 0 {
		return rev, nil
	}
	var missing []string
	for _, lang := range slices.Sorted(maps.Keys(m.Translations)) {
		_, revised := translations[lang]
		withheld := slices.Contains(withhold, lang)
		switch {
		case revised && withheld:
			return rev, invalid("the %s translation is both revised and withheld: do one or the other", LanguageName(lang))
		case !revised && !withheld:
			missing = append(missing, LanguageName(lang))
		}
	}
	if len(missing) > 0 {
		return rev, invalid("revise or withhold the %s translation: the text has changed, and an old translation could say what the new text corrects", strings.Join(missing, " and the "))
	}
	for _, lang := range slices.Sorted(maps.Keys(translations)) {
		if _, ok := m.Translations[lang]; !ok {
			return rev, invalid("this message has no %s translation to revise", LanguageName(lang))
		}
	}
	for _, lang := range withhold {
		if _, ok := m.Translations[lang]; !ok {
			return rev, invalid("this message has no %s translation to withhold", LanguageName(lang))
		}
	}
	rev.Translations = map[string]state.Translation{}
	for _, lang := range slices.Sorted(maps.Keys(translations)) {
		tr := translations[lang]
		if strings.TrimSpace(tr.Body) == "" {
			return rev, invalid("the %s translation is empty: write it, or withhold it", LanguageName(lang))
		}
		// A subject left out stays as the translation last had it.
		tSubject := cmpOr(tr.Subject, cmpOr(m.TranslationsOf(m.Current())[lang].Subject, cmpOr(m.Translations[lang].Subject, subject)))
		tSubject, tBody := marked(a, rb, tSubject, tr.Body)
		if err := fitsText(a, rb, w.fsm.directory(w.tx), s, tSubject, tBody); err != nil {
			return rev, fmt.Errorf("the %s translation: %w", LanguageName(lang), err)
		}
		rev.Translations[lang] = state.Translation{Subject: tSubject, Body: tBody}
	}
	rev.Withheld = slices.Compact(slices.Sorted(slices.Values(withhold)))
	return rev, nil
}

// translationsNote says, for the record, what a revision did with the
// translations.
func translationsNote(rev state.Revision) string {
	var parts []string
	if n := len(rev.Translations); n > 0 {
		var langs []string
		for _, lang := range slices.Sorted(maps.Keys(rev.Translations)) {
			langs = append(langs, LanguageName(lang))
		}
		parts = append(parts, "revised the "+strings.Join(langs, " and ")+" translation")
	}
	if len(rev.Withheld) > 0 {
		var langs []string
		for _, lang := range rev.Withheld {
			langs = append(langs, LanguageName(lang))
		}
		parts = append(parts, "withheld the "+strings.Join(langs, " and ")+" translation")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// fitsText refuses an edit that makes a message too long for the texts it
// is sent as: better refused now, with the reason, than failed at send.
func fitsText(a *state.Activation, rb *runbooks.Runbook, dir runbooks.Directory, s *runbooks.Step, subject, body string) error {
	if !stepReachesText(rb, dir, s, a.Exercise()) {
		return nil
	}
	if n, _ := sms.Length(sms.Text(subject, body)); n > sms.MaxLength {
		counted := "subject and body"
		if a.Exercise() {
			counted += ", with the exercise marking"
		}
		return invalid("this message is also sent as a text, and as edited it is %d characters (%s); GOV.UK Notify takes at most %d: shorten it",
			n, counted, sms.MaxLength)
	}
	return nil
}

// person is who did something: the person who signed in (the command's
// actor), not the post or mailbox they act as; for a command with no
// person behind it (a test, a system), the stakeholder; for the simulated
// controller, the controller standing in for that stakeholder.
func person(m *Meta, sh *runbooks.Stakeholder, simulated bool) string {
	switch {
	case simulated:
		return "simulated controller for " + string(sh.ID)
	case m.Actor == "":
		return string(sh.ID)
	}
	return m.Actor
}

// actingAs names a person and, when it says something more, the
// stakeholder they act as: "Dev Duty (as duty-comms)".
func actingAs(who string, sh *runbooks.Stakeholder) string {
	if who == string(sh.ID) || strings.HasSuffix(who, " "+string(sh.ID)) {
		return who
	}
	return fmt.Sprintf("%s (as %s)", who, sh.ID)
}
