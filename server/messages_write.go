package server

import (
	"maps"
	"net/http"
	"slices"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// translationView is one translation of a message as its current
// revision sends it, or withholds it.
type translationView struct {
	Lang     string `json:"lang"`
	Name     string `json:"name"` // "Welsh (cy)"
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	Withheld bool   `json:"withheld,omitempty"`
	// Revised: its writer revised it with the text, in this revision.
	Revised bool `json:"revised,omitempty"`
}

// translationsOf are a message's translations as its current revision
// has them: the draft's; those its writer revised or withheld; or, after
// an edit that said nothing of them, each withheld.
func translationsOf(m *state.Message) []translationView {
	rev := m.Current()
	var out []translationView
	for _, lang := range slices.Sorted(maps.Keys(m.Translations)) {
		v := translationView{Lang: lang, Name: engine.LanguageName(lang)}
		tr, revised := m.TranslationsOf(rev)[lang]
		if !revised {
			tr = latestTranslation(m, lang)
		}
		v.Subject, v.Body = tr.Subject, tr.Body
		v.Withheld = !rev.CarriesTranslations() || slices.Contains(rev.Withheld, lang)
		v.Revised = revised && rev.N > 1
		out = append(out, v)
	}
	return out
}

// latestTranslation is a language's translation as last written, in the
// draft or a revision: what an editor starts from.
func latestTranslation(m *state.Message, lang string) state.Translation {
	tr := m.Translations[lang]
	for _, rev := range m.Revisions[1:] {
		if t, ok := rev.Translations[lang]; ok {
			tr = t
		}
	}
	return tr
}

// writeMessage answers POST /api/v1/activations/{id}/messages: an ad-hoc
// message, {to: [audiences], subject, body, translations: {lang: {subject,
// body}}}, held for approval by those the engine settles on.
func (s *Server) writeMessage(w http.ResponseWriter, r *http.Request, u *User) {
	var req struct {
		To           []string                     `json:"to"`
		Subject      string                       `json:"subject"`
		Body         string                       `json:"body"`
		Translations map[string]state.Translation `json:"translations"`
	}
	if !decode(w, r, &req) {
		return
	}
	activation, rumour := r.PathValue("id"), ""
	if n := r.PathValue("rid"); n != "" { // a correction of a rumour: the runbook's rumours section approves it
		rumour = engine.RumourIn(activation, n)
	}
	index, err := s.engine.Apply(r.Context(), &engine.WriteMessage{Meta: engine.Meta{Actor: u.Person()}, Activation: activation,
		By: u.Identity(), To: req.To, Subject: req.Subject, Body: req.Body, Translations: req.Translations, Rumour: rumour})
	if err != nil {
		refused(w, err)
		return
	}
	s.showMessage(w, engine.AdHocID(activation, index), http.StatusCreated)
}
