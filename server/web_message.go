package server

import (
	"net/http"
	"slices"
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
type revisionFields struct {
	Form, CSRF, Subject, Body string
	Translations              []translationField
}

type translationField struct {
	Lang, Name, Subject, Body string
	Withhold                  bool
}

// Fields fills the edit or re-draft form.
func (p *messagePage) Fields(form string) revisionFields {
	f := revisionFields{Form: form, CSRF: p.CSRF, Subject: p.Message.Subject, Body: p.Message.Body}
	refused := p.Posted() == form
	if refused {
		f.Subject, f.Body = p.Refill(form, "subject"), p.Refill(form, "body")
	}
	for _, t := range p.Message.Translations {
		tf := translationField{Lang: t.Lang, Name: t.Name, Subject: t.Subject, Body: t.Body, Withhold: t.Withheld}
		if refused {
			tf.Subject, tf.Body = p.Refill(form, "trsubject-"+t.Lang), p.Refill(form, "tr-"+t.Lang)
			tf.Withhold = slices.Contains(p.Given["withhold"], t.Lang)
		}
		f.Translations = append(f.Translations, tf)
	}
	return f
}

// CanRedraft: the user may re-draft this rejected message now.
func (p *messagePage) CanRedraft() bool {
	return p.CanDecide && p.Active && p.Message.State == state.MessageRejected
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
		who := a.By
		switch {
		case a.Simulated:
			who += " (simulated)"
		case a.Person != "" && a.Person != a.By:
			who = a.Person + " (as " + a.By + ")"
		}
		out = append(out, approval{Who: who, At: a.At})
	}
	return out
}

// revisionFromForm is a new revision as the edit and re-draft forms give
// it: for each translation the message has, its text as the form has it,
// or that it is withheld.
func revisionFromForm(r *http.Request, m *state.Message) (subject, body string, revised map[string]state.Translation, withhold []string) {
	subject, body = r.PostFormValue("subject"), lines(r.PostFormValue("body"))
	for _, t := range translationsOf(m) {
		if slices.Contains(r.PostForm["withhold"], t.Lang) {
			withhold = append(withhold, t.Lang)
			continue
		}
		if revised == nil {
			revised = map[string]state.Translation{}
		}
		revised[t.Lang] = state.Translation{Subject: r.PostFormValue("trsubject-" + t.Lang), Body: lines(r.PostFormValue("tr-" + t.Lang))}
	}
	return subject, body, revised, withhold
}

// lines is text from a form with the browser's line ends made plain.
func lines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// redraftCommand is the re-draft a form asks for.
func redraftCommand(r *http.Request, u *User, m *state.Message) *engine.Redraft {
	subject, body, revised, withhold := revisionFromForm(r, m)
	return &engine.Redraft{Meta: engine.Meta{Actor: u.Person()}, Message: m.ID, By: u.Identity(), Subject: subject, Body: body,
		Translations: revised, Withhold: withhold}
}
