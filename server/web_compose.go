package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// composePage is the form for an ad-hoc message: a correction, an update,
// to any of the runbook's audiences, held for approval like any message.
type composePage struct {
	page
	Activation activationView
	Audiences  []composeAudience
	Languages  []composeLanguage
	// Rumour, for a correction, is the rumour it corrects (its number,
	// RumourN, in the form), and CorrectionApprovers who approve it.
	Rumour              *state.Rumour
	RumourN             string
	CorrectionApprovers []string
}

// composeAudience is one audience to tick, with who would approve a
// message to it (Approvers: by name, not the writer) and how many
// approvals it needs (Needs; 0: no one but the writer may approve it, so
// they cannot write to it). Writer: the writer is one of its approvers.
type composeAudience struct {
	ID, Description string
	Languages       []string // names: "Welsh (cy)"
	Approvers       []string
	Needs           int
	Writer, Checked bool
}

// composeLanguage is a translation field: a language some audience reads.
type composeLanguage struct {
	Lang, Name, Subject, Body string
	For                       []string // the audiences that read it
}

func (s *Server) composePage(w http.ResponseWriter, r *http.Request, u *User) {
	s.showCompose(w, r, u, http.StatusOK, "")
}

func (s *Server) showCompose(w http.ResponseWriter, r *http.Request, u *User, status int, problem string) {
	a, _ := s.engine.Read().Activation(nil, r.PathValue("id"))
	rb, err := s.engine.Runbook(r.PathValue("id"))
	if a == nil || err != nil {
		s.render(w, r, http.StatusNotFound, "error.html", &page{Title: "Not found", User: u, Error: "There is no activation " + r.PathValue("id") + "."})
		return
	}
	if a.State != state.ActivationActive {
		s.render(w, r, http.StatusConflict, "error.html", &page{Title: "Not now", User: u, Exercise: a.Exercise(),
			Error: "Activation " + a.ID + " has ended (" + strings.ReplaceAll(a.State, "_", " ") + "): nothing more is sent."})
		return
	}
	p := &composePage{page: page{Title: "Write a message", User: u, Exercise: a.Exercise(), Error: problem}, Activation: viewActivation(a)}
	p.refillFrom(r)
	if n := r.FormValue("rumour"); n != "" {
		if rumour, _ := s.engine.Read().Rumour(nil, engine.RumourIn(a.ID, n)); rumour != nil && rb.Rumours != nil {
			p.Title, p.Rumour, p.RumourN = "Correct a rumour", rumour, n
			for _, sh := range rb.Reach(rb.Rumours.Approvers).Stakeholders {
				p.CorrectionApprovers = append(p.CorrectionApprovers, sh.NameIn(s.engine.Directory()))
			}
		}
	}
	given := p.Given["to"]
	for _, au := range rb.Audiences {
		ca := composeAudience{ID: string(au.ID), Description: au.Description, Checked: slices.Contains(given, string(au.ID))}
		var ids []string
		ids, ca.Needs = engine.AdHocApprovers(rb, s.engine.Directory(), []string{string(au.ID)}, u.Identity())
		for _, id := range ids {
			if engine.IsAssignee(rb, s.engine.Directory(), id, u.Identity()) {
				ca.Writer = true
				continue
			}
			ca.Approvers = append(ca.Approvers, stakeholderName(rb, id))
		}
		for _, l := range au.Languages {
			ca.Languages = append(ca.Languages, engine.LanguageName(l.Name))
			i := slices.IndexFunc(p.Languages, func(cl composeLanguage) bool { return cl.Lang == l.Name })
			if i < 0 {
				p.Languages = append(p.Languages, composeLanguage{Lang: l.Name, Name: engine.LanguageName(l.Name),
					Subject: p.Refill("compose", "trsubject-"+l.Name), Body: p.Refill("compose", "tr-"+l.Name)})
				i = len(p.Languages) - 1
			}
			p.Languages[i].For = append(p.Languages[i].For, string(au.ID))
		}
		p.Audiences = append(p.Audiences, ca)
	}
	p.CSRF = s.csrfToken(r)
	s.renderPage(w, status, "compose.html", p)
}

// composeFromForm writes the ad-hoc message and shows its page.
func (s *Server) composeFromForm(w http.ResponseWriter, r *http.Request, u *User) {
	activation := r.PathValue("id")
	rb, err := s.engine.Runbook(activation)
	if err != nil {
		s.showCompose(w, r, u, http.StatusNotFound, "")
		return
	}
	translations := map[string]state.Translation{}
	for _, au := range rb.Audiences {
		for _, l := range au.Languages {
			if body := lines(r.PostFormValue("tr-" + l.Name)); strings.TrimSpace(body) != "" { // the engine refuses one no audience chosen reads
				translations[l.Name] = state.Translation{Subject: r.PostFormValue("trsubject-" + l.Name), Body: body}
			}
		}
	}
	rumour := ""
	if n := r.PostFormValue("rumour"); n != "" {
		rumour = engine.RumourIn(activation, n)
	}
	index, err := s.engine.Apply(r.Context(), &engine.WriteMessage{Meta: engine.Meta{Actor: u.Person()}, Activation: activation,
		By: u.Identity(), To: r.PostForm["to"], Subject: r.PostFormValue("subject"), Body: lines(r.PostFormValue("body")),
		Translations: translations, Rumour: rumour})
	if err != nil {
		s.showCompose(w, r, u, http.StatusUnprocessableEntity, "Not written: "+err.Error())
		return
	}
	s.done(w, r, "/ui/messages/"+engine.AdHocID(activation, index), "written")
}
