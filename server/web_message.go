package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// messagePage is what a message's page shows: the decision first (who it
// goes to, what it says, in every language, and the buttons), then the
// previews and the deliveries.
type messagePage struct {
	page
	To     *recipients
	Active bool // its activation is still active: a rejected message can be re-drafted
	msg    *state.Message
	rb     *runbooks.Runbook
}

// Name is a stakeholder's name, for people.
func (p *messagePage) Name(id string) string { return stakeholderName(p.rb, id) }

// revisionFields is what the edit and re-draft forms hold: the text and
// each translation, as last written or as a refused form had them.
// Revision is the revision the form was opened on: the engine refuses it
// if someone saves another first. A refused form is filled again on the
// revision now current, shown above it, so that a second try is a
// decision taken on what it says. BodyProblem and each translation's
// Problem say, at the field, what was wrong with a refused one.
type revisionFields struct {
	Form, CSRF, Subject, Body, BodyProblem string
	Revision                               int
	Translations                           []translationField
}

type translationField struct {
	Lang, Name, Subject, Body, Problem string
	Withhold                           bool
}

// Fields fills the edit or re-draft form.
func (p *messagePage) Fields(form string) revisionFields {
	f := revisionFields{Form: form, CSRF: p.CSRF, Subject: p.Message.Subject, Body: p.Message.Body, Revision: p.Message.Revision}
	refused := p.Posted() == form
	var unrevised []string
	if refused {
		f.Subject, f.Body = p.Refill(form, "subject"), p.Refill(form, "body")
		if strings.TrimSpace(f.Body) == "" {
			f.BodyProblem = noText
		}
		if p.msg != nil {
			_, _, revised, _ := revisionFrom(p.Given, p.msg)
			unrevised = unrevisedTranslations(p.msg, f.Subject, f.Body, revised)
		}
	}
	for _, t := range p.Message.Translations {
		tf := translationField{Lang: t.Lang, Name: t.Name, Subject: t.Subject, Body: t.Body, Withhold: t.Withheld}
		if refused {
			tf.Subject, tf.Body = p.Refill(form, "trsubject-"+t.Lang), p.Refill(form, "tr-"+t.Lang)
			tf.Withhold = slices.Contains(p.Given["withhold"], t.Lang)
			if slices.Contains(unrevised, t.Lang) {
				tf.Problem = unrevisedProblem(t.Lang)
			}
		}
		f.Translations = append(f.Translations, tf)
	}
	return f
}

// noText is what an edit or re-draft with no text is told, at the field.
const noText = "Write the text: a message needs one."

// unrevisedProblem is what a form is told of a translation left as it
// was when the text changed.
func unrevisedProblem(lang string) string {
	name := engine.LanguageName(lang)
	return "The " + name + " translation still says what the old text said: revise it, or tick “Withhold the " + name + " translation”."
}

// revisionProblem is why the edit or re-draft form is refused before the
// engine sees it, or "": no text, or a translation left as it was though
// the text changed. A form opened on an older revision (seen) is left to
// the engine, which says who saved the newer one.
func revisionProblem(m *state.Message, seen int, subject, body string, revised map[string]state.Translation) string {
	if strings.TrimSpace(body) == "" {
		return noText
	}
	if seen != 0 && seen != m.Current().N {
		return ""
	}
	if langs := unrevisedTranslations(m, subject, body, revised); len(langs) > 0 {
		return unrevisedProblem(langs[0])
	}
	return ""
}

// CanRedraft: the user may re-draft this rejected message now.
func (p *messagePage) CanRedraft() bool {
	return p.CanDecide && p.Active && p.Message.State == state.MessageRejected
}

// Writer names who wrote a revision: the person, and the stakeholder
// they wrote it as when that says more ("Dina Duty (as Duty
// communications officer)").
func (p *messagePage) Writer(rev state.Revision) string {
	as := p.Name(rev.EditedBy)
	if rev.Editor == "" || rev.Editor == rev.EditedBy || rev.Editor == as {
		return as
	}
	return rev.Editor + " (as " + as + ")"
}

// LanguageNames names languages by their tags: "Welsh (cy), Polish (pl)".
func (p *messagePage) LanguageNames(tags []string) string {
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = engine.LanguageName(t)
	}
	return strings.Join(names, ", ")
}

// approval is one approval of the current revision, for people.
type approval struct {
	Who string
	At  time.Time
}

// Approved lists who has approved the current revision.
func (p *messagePage) Approved() []approval {
	var out []approval
	for _, a := range p.Message.Approvals {
		if a.Revision != p.Message.Revision {
			continue
		}
		who := p.Name(a.By)
		switch {
		case a.Simulated:
			who += " (simulated)"
		case a.Person != "" && a.Person != a.By && a.Person != who:
			who = a.Person + " (as " + who + ")"
		}
		out = append(out, approval{Who: who, At: a.At})
	}
	return out
}

// revisionFromForm is a new revision as the edit and re-draft forms give
// it: for each translation the message has, its text as the form has it,
// or that it is withheld.
func revisionFromForm(r *http.Request, m *state.Message) (subject, body string, revised map[string]state.Translation, withhold []string) {
	_ = r.PostFormValue("subject") // parses the form
	return revisionFrom(r.PostForm, m)
}

// revisionFrom is a new revision as a form's values give it.
func revisionFrom(form url.Values, m *state.Message) (subject, body string, revised map[string]state.Translation, withhold []string) {
	subject, body = form.Get("subject"), lines(form.Get("body"))
	for _, t := range translationsOf(m) {
		if slices.Contains(form["withhold"], t.Lang) {
			withhold = append(withhold, t.Lang)
			continue
		}
		if revised == nil {
			revised = map[string]state.Translation{}
		}
		revised[t.Lang] = state.Translation{Subject: form.Get("trsubject-" + t.Lang), Body: lines(form.Get("tr-" + t.Lang))}
	}
	return subject, body, revised, withhold
}

// seenRevision is the revision a form was opened on; 0 when it does not say.
func seenRevision(r *http.Request) int {
	n, _ := strconv.Atoi(r.PostFormValue("revision"))
	return n
}

// lines is text from a form with the browser's line ends made plain.
func lines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// revisionCommand is the edit or re-draft a form asks for, or why it is
// refused before the engine sees it.
func revisionCommand(r *http.Request, u *User, m *state.Message, action string) (engine.Command, string) {
	subject, body, revised, withhold := revisionFromForm(r, m)
	seen := seenRevision(r)
	if problem := revisionProblem(m, seen, subject, body, revised); problem != "" {
		return nil, problem
	}
	meta := engine.Meta{Actor: u.Person()}
	if action == "redraft" {
		return &engine.Redraft{Meta: meta, Message: m.ID, Revision: seen, By: u.Identity(), Subject: subject, Body: body,
			Translations: revised, Withhold: withhold}, ""
	}
	return &engine.Edit{Meta: meta, Message: m.ID, Revision: seen, By: u.Identity(), Subject: subject, Body: body,
		Translations: revised, Withhold: withhold}, ""
}
