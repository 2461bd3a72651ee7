package server

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// messageView is a message as the API shows it: its current text, every
// revision, the approvals given and its deliveries so far.
type messageView struct {
	ID         string           `json:"id"`
	Activation string           `json:"activation"`
	Step       string           `json:"step"`
	State      string           `json:"state"`
	Subject    string           `json:"subject"`
	Body       string           `json:"body"`
	Revision   int              `json:"revision"`
	Revisions  []state.Revision `json:"revisions"`
	// Translations are those the current revision sends, or withholds.
	Translations  []translationView `json:"translations,omitempty"`
	AdHoc         *state.AdHoc      `json:"ad_hoc,omitempty"` // who an ad-hoc message goes to and who approves it
	NeedsApproval bool              `json:"needs_approval"`
	MinApprovals  int               `json:"min_approvals,omitempty"`
	Approvals     []*state.Approval `json:"approvals"`
	// Organisations must each sign a joint statement, on top of
	// min_approvals; StillToSign are those that have not yet, this
	// revision. Each names who may sign for it.
	Organisations []string       `json:"organisations,omitempty"`
	StillToSign   []string       `json:"still_to_sign,omitempty"`
	RejectedBy    string         `json:"rejected_by,omitempty"`
	RejectReason  string         `json:"reject_reason,omitempty"`
	Sent          int            `json:"sent"`
	Failed        int            `json:"failed"`
	Outstanding   int            `json:"outstanding"`
	Withheld      int            `json:"withheld"`    // an exercise's, to people not taking part: never sent
	Delivered     int            `json:"delivered"`   // texts the phone network says reached the phone
	Undelivered   int            `json:"undelivered"` // texts the phone network gave up on
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	Deliveries    []deliveryView `json:"deliveries,omitempty"`
	// Summary says what became of its deliveries, for pages.
	Summary string `json:"-"`
}

type deliveryView struct {
	ID          string `json:"id"`
	Revision    int    `json:"revision"`
	Type        string `json:"type"`
	Channel     string `json:"channel,omitempty"`
	Target      string `json:"target"`
	Stakeholder string `json:"stakeholder,omitempty"`
	Language    string `json:"language,omitempty"`
	State       string `json:"state"`
	Attempts    int    `json:"attempts"`
	Error       string `json:"error,omitempty"`
	// Receipt is what the service last said became of it (a text not
	// delivered: why).
	Receipt   string    `json:"receipt,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// List and Rows, for a delivery to a contact list: its id, and each
	// row's progress, counted (rows are never shown, only their numbers).
	List string    `json:"list,omitempty"`
	Rows *rowsView `json:"rows,omitempty"`
	Name string    `json:"-"` // the stakeholder's name, for pages
}

// rowsView is a list delivery's progress, as the API gives it.
type rowsView struct {
	Rows       int   `json:"rows"`     // on the list
	Contacts   int   `json:"contacts"` // with the contact the delivery needs: the rows it sends to
	Sent       int   `json:"sent"`
	Failed     int   `json:"failed"`
	FailedRows []int `json:"failed_rows,omitempty"`
	Duplicated int   `json:"possibly_duplicated,omitempty"`
}

func viewRows(r *state.Rows) *rowsView {
	if r == nil {
		return nil
	}
	return &rowsView{Rows: r.Count, Contacts: r.Contacts, Sent: r.Sent, Failed: r.Failed, FailedRows: r.FailedRows(), Duplicated: r.Duplicated}
}

// Words says a delivery's state as a comms officer reads it.
func (d deliveryView) Words() string {
	if r := d.Rows; r != nil && d.State == state.DeliveryPending {
		return fmt.Sprintf("being sent: %d of %d done so far", r.Sent+r.Failed, r.Contacts)
	}
	if r := d.Rows; r != nil && (d.State == state.DeliverySent || d.State == state.DeliveryFailed) {
		return cmp.Or(d.Error, fmt.Sprintf("%d of %d sent", r.Sent, r.Contacts))
	}
	switch d.State {
	case state.DeliveryWithheld:
		return "withheld — not taking part in the exercise"
	case state.DeliveryDelivered:
		return "delivered to the phone"
	case state.DeliveryUndelivered:
		return "not delivered: " + cmp.Or(d.Receipt, "the phone network gave no reason")
	case state.DeliverySent:
		if d.Type == "sms" {
			return "sent — not yet known to have reached the phone"
		}
		return "sent"
	case state.DeliveryFailed:
		return "failed: " + cmp.Or(d.Error, "no reason given")
	case state.DeliveryAttempted:
		return "being sent"
	}
	return strings.ReplaceAll(d.State, "_", " ")
}

// Class is how a page marks a delivery's state: grey for withheld or
// cancelled, red for what did not arrive, green for a text delivered.
func (d deliveryView) Class() string {
	switch d.State {
	case state.DeliveryWithheld, state.DeliveryCancelled:
		return "withheld"
	case state.DeliveryFailed, state.DeliveryUndelivered:
		return "problem"
	case state.DeliveryDelivered:
		return "delivered"
	}
	return ""
}

func (s *Server) viewMessage(tx *state.Txn, m *state.Message, withDeliveries bool) (messageView, error) {
	cur := m.Current()
	v := messageView{ID: m.ID, Activation: m.ActivationID, Step: m.Step, State: m.State, Subject: cur.Subject, Body: cur.Body,
		Revision: cur.N, Revisions: m.Revisions, NeedsApproval: m.NeedsApproval, MinApprovals: m.MinApprovals,
		RejectedBy: m.RejectedBy, RejectReason: m.RejectReason, Sent: m.Sent, Failed: m.Failed, Outstanding: m.Outstanding,
		Withheld: m.Withheld, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, AdHoc: m.AdHoc, Translations: translationsOf(m)}
	approvals, err := tx.ApprovalsOf(nil, m.ID)
	if err != nil {
		return v, err
	}
	v.Approvals = nonNil(approvals)
	if rb, err := s.engine.Runbook(m.ActivationID); err == nil {
		v.Organisations, v.StillToSign = engine.Signatures(rb, s.engine.Directory(), m, approvals)
	}
	ds, err := tx.DeliveriesOf(nil, m.ID)
	if err != nil {
		return v, err
	}
	rb, _ := s.engine.Runbook(m.ActivationID)
	if withDeliveries {
		v.Deliveries = []deliveryView{}
	}
	n := map[string]int{}
	for _, d := range ds {
		n[d.State]++
		switch d.State {
		case state.DeliveryDelivered:
			v.Delivered++
		case state.DeliveryUndelivered:
			v.Undelivered++
		}
		if withDeliveries {
			v.Deliveries = append(v.Deliveries, deliveryView{ID: d.ID, Revision: d.Revision, Type: d.Type, Channel: d.Channel,
				Target: d.Target, Stakeholder: d.Stakeholder, Language: d.Language, State: d.State, Attempts: d.Attempts,
				Error: d.Error, Receipt: d.Receipt, UpdatedAt: d.UpdatedAt, Name: stakeholderName(rb, d.Stakeholder),
				List: d.List, Rows: viewRows(d.Rows)})
		}
	}
	v.Summary = deliverySummary(n)
	return v, nil
}

// deliverySummary says what became of a message's deliveries, counted by
// state: "3 sent (2 delivered to the phone, 1 not delivered), 4 withheld
// (not taking part in the exercise)".
func deliverySummary(n map[string]int) string {
	var parts []string
	if took := n[state.DeliverySent] + n[state.DeliveryDelivered] + n[state.DeliveryUndelivered]; took > 0 {
		part := plural(took, "sent", "sent")
		var texts []string
		if d := n[state.DeliveryDelivered]; d > 0 {
			texts = append(texts, thousands(d)+" delivered to the phone")
		}
		if u := n[state.DeliveryUndelivered]; u > 0 {
			texts = append(texts, thousands(u)+" not delivered")
		}
		if len(texts) > 0 {
			part += " (" + strings.Join(texts, ", ") + ")"
		}
		parts = append(parts, part)
	}
	if f := n[state.DeliveryFailed]; f > 0 {
		parts = append(parts, thousands(f)+" failed")
	}
	if w := n[state.DeliveryWithheld]; w > 0 {
		parts = append(parts, thousands(w)+" withheld (not taking part in the exercise)")
	}
	if o := n[state.DeliveryPending] + n[state.DeliveryAttempted]; o > 0 {
		parts = append(parts, thousands(o)+" on the way")
	}
	if c := n[state.DeliveryCancelled]; c > 0 {
		parts = append(parts, thousands(c)+" cancelled")
	}
	if len(parts) == 0 {
		return "nothing sent yet"
	}
	return strings.Join(parts, ", ")
}

// listMessages lists messages by ?activation= and/or ?state=
// (pending_approval: what waits for the comms team).
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, _ *User) {
	st, ok := stateQuery(w, r, state.MessageDrafted, state.MessagePendingApproval, state.MessageApproved, state.MessageDispatching,
		state.MessageSent, state.MessagePartiallyFailed, state.MessageFailed, state.MessageRejected, state.MessageCancelled, state.MessageWithheld)
	if !ok {
		return
	}
	tx := s.engine.Read()
	activation := r.URL.Query().Get("activation")
	var all []*state.Message
	var err error
	switch {
	case activation != "":
		all, err = tx.MessagesOf(nil, activation)
	case st != "":
		all, err = tx.MessagesInState(nil, st)
	default:
		var as []*state.Activation
		as, err = tx.Activations(nil)
		for _, a := range as {
			ms, e := tx.MessagesOf(nil, a.ID)
			all, err = append(all, ms...), e
		}
	}
	if err != nil {
		refused(w, err)
		return
	}
	out := []messageView{}
	for _, m := range all {
		if st != "" && m.State != st {
			continue
		}
		v, err := s.viewMessage(tx, m, false)
		if err != nil {
			refused(w, err)
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

// message answers with a message by id, or that there is none.
func (s *Server) message(w http.ResponseWriter, tx *state.Txn, id string) *state.Message {
	m, err := tx.Message(nil, id)
	switch {
	case err != nil:
		refused(w, err)
	case m == nil:
		writeError(w, http.StatusNotFound, "not_found", "no message "+id)
	}
	return m
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, _ *User) {
	if id, action := idAndAction(r); isMessageAction(action) {
		if m, _ := s.engine.Read().Message(nil, id); m != nil {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", action+" is done with POST")
			return
		}
	}
	s.showMessage(w, r.PathValue("id"), http.StatusOK)
}

// isMessageAction reports whether a path's last part is something done to
// a message, after its id.
func isMessageAction(action string) bool {
	return action == "approve" || action == "reject" || action == "ack" || action == "redraft"
}

func (s *Server) showMessage(w http.ResponseWriter, id string, status int) {
	tx := s.engine.Read()
	m := s.message(w, tx, id)
	if m == nil {
		return
	}
	v, err := s.viewMessage(tx, m, true)
	if err != nil {
		refused(w, err)
		return
	}
	writeJSON(w, status, v)
}

// revisionRequest is a new revision as the API takes it: the text, and
// for each translation the message has, its revised text or that it is
// withheld.
type revisionRequest struct {
	// Revision, when given, is the revision the writer saw: the new one
	// is refused if someone has saved another since.
	Revision     int                          `json:"revision"`
	Subject      string                       `json:"subject"`
	Body         string                       `json:"body"`
	Translations map[string]state.Translation `json:"translations"`
	Withhold     []string                     `json:"withhold"`
}

// editMessage writes a new revision of a message waiting for approval.
func (s *Server) editMessage(w http.ResponseWriter, r *http.Request, u *User) {
	var req revisionRequest
	if !decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	if !s.translationsSaid(w, id, req) {
		return
	}
	if _, err := s.engine.Apply(r.Context(), &engine.Edit{Meta: engine.Meta{Actor: u.Person()}, Message: id, By: u.Identity(),
		Revision: req.Revision, Subject: req.Subject, Body: req.Body, Translations: req.Translations, Withhold: req.Withhold}); err != nil {
		refused(w, err)
		return
	}
	s.showMessage(w, id, http.StatusOK)
}

// translationsSaid refuses a new revision that says nothing of the
// message's translations: the engine would send it without them (as
// edits did before they carried translations), and crier asks instead.
func (s *Server) translationsSaid(w http.ResponseWriter, id string, req revisionRequest) bool {
	m, _ := s.engine.Read().Message(nil, id)
	if problem := unsaidTranslations(m, req.Translations, req.Withhold); problem != "" {
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", problem)
		return false
	}
	if m == nil || req.Revision != 0 && req.Revision != m.Current().N { // the engine says who saved the newer one
		return true
	}
	if langs := unrevisedTranslations(m, req.Subject, req.Body, req.Translations); len(langs) > 0 {
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", fmt.Sprintf(
			`the %s translation still says what the old text said: revise it, or withhold it ("withhold": ["%s"])`, engine.LanguageName(langs[0]), langs[0]))
		return false
	}
	return true
}

// unrevisedTranslations are the languages whose translation a new
// revision sends as it was though the text (subject or body) has
// changed: it would still say what the old text said. None when the text
// is as it was.
func unrevisedTranslations(m *state.Message, subject, body string, revised map[string]state.Translation) []string {
	cur := m.Current()
	same := func(a, b string) bool { return strings.TrimSpace(lines(a)) == strings.TrimSpace(lines(b)) }
	if (strings.TrimSpace(subject) == "" || same(subject, cur.Subject)) && same(body, cur.Body) {
		return nil
	}
	var langs []string
	for _, lang := range slices.Sorted(maps.Keys(revised)) {
		tr, was := revised[lang], latestTranslation(m, lang)
		if strings.TrimSpace(tr.Body) != "" && same(tr.Body, was.Body) && (strings.TrimSpace(tr.Subject) == "" || same(tr.Subject, was.Subject)) {
			langs = append(langs, lang)
		}
	}
	return langs
}

// unsaidTranslations says what is wrong with a new revision that neither
// revises nor withholds the message's translations, or "".
func unsaidTranslations(m *state.Message, revised map[string]state.Translation, withhold []string) string {
	if m == nil || len(m.Translations) == 0 || len(revised) > 0 || len(withhold) > 0 {
		return ""
	}
	tags := slices.Sorted(maps.Keys(m.Translations))
	var langs []string
	for _, lang := range tags {
		langs = append(langs, engine.LanguageName(lang))
	}
	return fmt.Sprintf(`the message also goes in %s: give each translation revised ("translations": {"%s": {"body": "…"}}) or withhold it ("withhold": ["%s"])`,
		strings.Join(langs, " and "), tags[0], tags[0])
}

// actOnMessage approves (…/approve, optionally {revision} as seen) or
// rejects (…/reject {reason}, optionally {revision}) a message waiting for approval, re-drafts
// (…/redraft, as PUT) a rejected one — the engine
// checks the runbook names the user as an approver, and four eyes — or
// acknowledges (…/ack) a message sent to the user.
func (s *Server) actOnMessage(w http.ResponseWriter, r *http.Request, u *User) {
	id, action := idAndAction(r)
	var c engine.Command
	switch action {
	case "ack":
		var ok bool
		if c, ok = acknowledgement(w, r, u, id); !ok {
			return
		}
	case "approve":
		var req struct {
			Revision int `json:"revision"`
		}
		if r.ContentLength != 0 && !decode(w, r, &req) {
			return
		}
		c = &engine.Approve{Meta: engine.Meta{Actor: u.Person()}, Message: id, Revision: req.Revision, By: u.Identity()}
	case "reject":
		var req struct {
			Reason   string `json:"reason"`
			Revision int    `json:"revision"`
		}
		if !decode(w, r, &req) {
			return
		}
		if strings.TrimSpace(req.Reason) == "" {
			writeError(w, http.StatusUnprocessableEntity, "unprocessable", "give a reason: it goes in the record")
			return
		}
		c = &engine.Reject{Meta: engine.Meta{Actor: u.Person()}, Message: id, Revision: req.Revision, By: u.Identity(), Reason: req.Reason}
	case "redraft":
		var req revisionRequest
		if !decode(w, r, &req) || !s.translationsSaid(w, id, req) {
			return
		}
		c = &engine.Redraft{Meta: engine.Meta{Actor: u.Person()}, Message: id, Revision: req.Revision, By: u.Identity(),
			Subject: req.Subject, Body: req.Body, Translations: req.Translations, Withhold: req.Withhold}
	default:
		writeError(w, http.StatusNotFound, "not_found", "POST a message's /approve, /reject, /redraft or /ack")
		return
	}
	if _, err := s.engine.Apply(r.Context(), c); err != nil {
		refused(w, err)
		return
	}
	s.showMessage(w, id, http.StatusOK)
}

// acknowledgement is the user's acknowledgement of a message or task, or
// with {"for": stakeholder} an admin's for someone who cannot (recorded
// as such). The engine checks it was addressed to them.
func acknowledgement(w http.ResponseWriter, r *http.Request, u *User, id string) (*engine.Acknowledge, bool) {
	var req struct {
		For string `json:"for"`
	}
	if r.ContentLength != 0 && !decode(w, r, &req) {
		return nil, false
	}
	if req.For != "" && !u.Has(RoleAdmin) {
		writeError(w, http.StatusForbidden, "forbidden", "only an admin may acknowledge for someone else")
		return nil, false
	}
	return &engine.Acknowledge{Meta: engine.Meta{Actor: u.Person()}, Subject: id, By: u.Identity(), Via: "api", For: req.For}, true
}
