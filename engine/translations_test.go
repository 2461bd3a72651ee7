package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// bilingual is a runbook whose statement has Welsh and Polish
// translations, and an approval deadline.
const bilingual = `version: 1
id: bilingual
title: Bilingual statement
stakeholders:
  - {id: comms, name: Comms Officer, roles: [approver], email: comms@northbridge.gov.uk}
  - {id: head, name: Head of comms, roles: [approver], email: head@northbridge.gov.uk}
  - {id: press, name: Press Desk, email: press@northbridge.gov.uk}
channels:
  - {id: public, type: slack, slack_channel: "#public"}
  - {id: welsh-groups, type: email, to: [grwpiau@example.org]}
  - {id: polish-groups, type: email, to: [grupy@example.org]}
  - {id: drill, type: slack, slack_channel: "#ex-comms-cell"}
audiences:
  - {id: residents, channels: [public]}
  - {id: welsh-speakers, channels: [welsh-groups], languages: [cy]}
  - {id: polish-speakers, channels: [polish-groups], languages: [pl]}
  - {id: media, stakeholders: [press]}
steps:
  - id: statement
    title: Statement
    at: 0s
    notify:
      to: [residents, welsh-speakers, polish-speakers]
      subject: Road closed
      body: The high street is closed.
      translations:
        cy: {subject: Ffordd ar gau, body: Mae'r stryd fawr ar gau.}
        pl: {subject: Droga zamknięta, body: Główna ulica jest zamknięta.}
      approval: {approvers: [role:approver], within: 15m}
  - id: media-brief
    title: Media brief
    at: 1h
    notify:
      to: [media]
      subject: Media briefing
      body: Briefing at noon.
      approval: {approvers: [head], min: 1}
`

// sentTo approves nothing: it delivers what is pending and lists each
// delivery as target/language: subject | body.
func sentTo(t *testing.T, e *Engine) []string {
	t.Helper()
	sent := &recorder{}
	if err := deliverer(t, e, sent).Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range sent.got {
		got = append(got, m.Target+"/"+m.Language+": "+m.Subject+" | "+m.Body)
	}
	slices.Sort(got)
	return got
}

func eventsOfKind(t *testing.T, e *Engine, activation, kind string) []string {
	t.Helper()
	evs, err := e.Read().EventsOf(nil, activation)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		if ev.Kind == kind {
			out = append(out, ev.Detail)
		}
	}
	return out
}

func firedBilingual(t *testing.T, mode string) (*Engine, *VirtualClock, string, string) {
	t.Helper()
	e, clock := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(bilingual), SourceName: "b.yaml", Mode: mode}))
	msg := OccurrenceID(id, "statement", 1) // due at the start: fired with the activation
	return e, clock, id, msg
}

func TestAnEditRevisesAndWithholdsTranslations(t *testing.T) {
	e, _, id, msg := firedBilingual(t, "live")
	apply(t, e, &Edit{Meta: Meta{Actor: "Dev Duty"}, Message: msg, By: "comms", Subject: "Road closed", Body: "The high street is closed until 6pm.",
		Translations: map[string]state.Translation{"cy": {Body: "Mae'r stryd fawr ar gau tan 6pm."}}, Withhold: []string{"pl"}})
	m, _ := e.Read().Message(nil, msg)
	rev := m.Current()
	if rev.N != 2 || rev.Translations["cy"].Body != "Mae'r stryd fawr ar gau tan 6pm." || rev.Translations["cy"].Subject != "Ffordd ar gau" ||
		!slices.Equal(rev.Withheld, []string{"pl"}) {
		t.Fatalf("revision = %+v", rev)
	}
	apply(t, e, &Approve{Message: msg, By: "head"})
	got := strings.Join(sentTo(t, e), "\n")
	want := strings.Join([]string{
		"#public/: Road closed | The high street is closed until 6pm.",
		"grupy@example.org/: Road closed | The high street is closed until 6pm.",
		"grwpiau@example.org/: Road closed | The high street is closed until 6pm.",
		"grwpiau@example.org/cy: Ffordd ar gau | Mae'r stryd fawr ar gau tan 6pm.",
	}, "\n")
	if got != want {
		t.Errorf("sent:\n%s\nwant:\n%s", got, want)
	}
	withheld := eventsOfKind(t, e, id, "translations_withheld")
	if len(withheld) != 1 || !strings.Contains(withheld[0], "Polish (pl)") || !strings.Contains(withheld[0], "Dev Duty") {
		t.Errorf("withheld events = %q, want one naming Polish and who withheld it", withheld)
	}
	edited := eventsOfKind(t, e, id, "message_edited")
	if len(edited) != 1 || !strings.Contains(edited[0], "revised the Welsh (cy) translation") || !strings.Contains(edited[0], "withheld the Polish (pl) translation") {
		t.Errorf("edit event = %q", edited)
	}
}

func TestAnEditMustReviseOrWithholdEveryTranslation(t *testing.T) {
	e, _, _, msg := firedBilingual(t, "live")
	for _, tc := range []struct {
		name string
		c    *Edit
		want string
	}{
		{"Polish left out", &Edit{Translations: map[string]state.Translation{"cy": {Body: "Newydd."}}},
			"revise or withhold the Polish (pl) translation"},
		{"both", &Edit{Translations: map[string]state.Translation{"cy": {Body: "Newydd."}}, Withhold: []string{"cy", "pl"}},
			"Welsh (cy) translation is both revised and withheld"},
		{"no such language", &Edit{Withhold: []string{"cy", "pl", "fr"}}, "has no French (fr) translation"},
		{"empty translation", &Edit{Translations: map[string]state.Translation{"cy": {Body: " "}}, Withhold: []string{"pl"}},
			"Welsh (cy) translation is empty"},
	} {
		tc.c.Message, tc.c.By, tc.c.Body = msg, "comms", "New text."
		_, err := e.Apply(context.Background(), tc.c)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if m, _ := e.Read().Message(nil, msg); len(m.Revisions) != 1 {
		t.Errorf("refused edits made %d revisions", len(m.Revisions))
	}
}

// An edit recorded before edits carried translations says nothing of
// them: replayed, it means what it meant then — the translations are
// withheld at dispatch.
func TestAnOldEditStillWithholdsTheTranslations(t *testing.T) {
	log := &MemoryLog{}
	e, _ := newEngine(t, log)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(bilingual), SourceName: "b.yaml", Mode: "live"}))
	msg := OccurrenceID(id, "statement", 1)
	apply(t, e, &Edit{Message: msg, By: "comms", Subject: "Road closed", Body: "Closed until 6pm."})
	apply(t, e, &Approve{Message: msg, By: "head"})
	check := func(e *Engine) {
		t.Helper()
		ds, _ := e.Read().DeliveriesOf(nil, msg)
		for _, d := range ds {
			if d.Language != "" {
				t.Errorf("a translation was sent after an edit that said nothing of it: %+v", d)
			}
		}
		if len(ds) != 3 {
			t.Errorf("%d deliveries, want 3 (the text alone)", len(ds))
		}
		if w := eventsOfKind(t, e, id, "translations_withheld"); len(w) != 1 || w[0] != "the message was edited after its translations were made" {
			t.Errorf("withheld events = %q", w)
		}
	}
	check(e)
	replayed, _ := newEngine(t, log)
	check(replayed)
}

func TestRedraftAfterRejection(t *testing.T) {
	e, clock, id, msg := firedBilingual(t, "live")
	apply(t, e, &Approve{Meta: Meta{Actor: "Head"}, Message: msg, By: "head", Revision: 1})
	m, _ := e.Read().Message(nil, msg)
	if m.State == state.MessagePendingApproval {
		t.Fatal("the first approval did not send the statement; the test expects min 1")
	}

	// The media brief: rejected, then re-drafted.
	brief := OccurrenceID(id, "media-brief", 1)
	clock.Set(start.Add(time.Hour))
	apply(t, e, &Fire{Occurrence: brief})
	apply(t, e, &Reject{Meta: Meta{Actor: "Head"}, Message: brief, By: "head", Reason: "wrong time"})

	// Only an approver of the step may re-draft it.
	_, err := e.Apply(context.Background(), &Redraft{Message: brief, By: "comms", Body: "Briefing at 1pm."})
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "only its approvers re-draft it") {
		t.Errorf("a non-approver re-drafted: %v", err)
	}
	apply(t, e, &Redraft{Meta: Meta{Actor: "Head"}, Message: brief, By: "head", Body: "Briefing at 1pm."})
	m, _ = e.Read().Message(nil, brief)
	rev := m.Current()
	if m.State != state.MessagePendingApproval || rev.N != 2 || rev.Body != "Briefing at 1pm." || rev.Rejected == nil ||
		rev.Rejected.By != "head" || rev.Rejected.Reason != "wrong time" || m.RejectedBy != "" {
		t.Fatalf("after a re-draft: state %s, revision %+v, rejected by %q", m.State, rev, m.RejectedBy)
	}
	if r := eventsOfKind(t, e, id, "message_rejected"); len(r) != 1 {
		t.Errorf("the rejection is not kept in the record: %q", r)
	}
	// Four eyes: who re-drafted it cannot approve it.
	_, err = e.Apply(context.Background(), &Approve{Meta: Meta{Actor: "Head"}, Message: brief, By: "head"})
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "four eyes") {
		t.Errorf("the re-drafter approved their own re-draft: %v", err)
	}
	// A message waiting for approval is edited, not re-drafted.
	_, err = e.Apply(context.Background(), &Redraft{Message: brief, By: "head", Body: "Again."})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "only a rejected message is re-drafted") {
		t.Errorf("re-drafted a message waiting for approval: %v", err)
	}
}

func TestRedraftVoidsEarlierApprovalsAndRestartsTheDeadline(t *testing.T) {
	// The statement needs two approvals here, so one can be given before
	// the rejection.
	src := strings.Replace(bilingual, "approval: {approvers: [role:approver], within: 15m}", "approval: {approvers: [role:approver, press], within: 15m, min: 2}", 1)
	e, clock := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(src), SourceName: "b.yaml", Mode: "live"}))
	msg := OccurrenceID(id, "statement", 1)
	apply(t, e, &Approve{Message: msg, By: "press"})
	clock.Set(start.Add(10 * time.Minute))
	apply(t, e, &Reject{Message: msg, By: "head", Reason: "too vague"})
	clock.Set(start.Add(12 * time.Minute))
	apply(t, e, &Redraft{Message: msg, By: "comms", Body: "The high street is closed until 6pm.", Withhold: []string{"cy", "pl"}})

	// The first check (due at 15m) is cancelled; a new one is due 15
	// minutes after the re-draft.
	occ, _ := e.Read().OccurrencesOf(nil, id)
	var checks []string
	for _, o := range occ {
		if o.Kind == checkApproval {
			checks = append(checks, o.ID+" "+o.State+" @"+o.DueAt.Sub(start).String())
		}
	}
	want := []string{msg + "/approval_check/1 cancelled @15m0s", msg + "/approval_check/2 pending @27m0s"}
	if !slices.Equal(checks, want) {
		t.Errorf("approval checks:\n got %q\nwant %q", checks, want)
	}
	// The approval of revision 1 does not count: one more is not enough.
	apply(t, e, &Approve{Message: msg, By: "head"})
	if m, _ := e.Read().Message(nil, msg); m.State != state.MessagePendingApproval {
		t.Fatalf("sent on one approval of the re-draft and one of the rejected revision: %s", m.State)
	}
	apply(t, e, &Approve{Message: msg, By: "press"})
	if m, _ := e.Read().Message(nil, msg); m.State != state.MessageDispatching {
		t.Fatalf("two approvals of the re-draft: %s", m.State)
	}
	got := sentTo(t, e)
	for _, g := range got {
		if strings.Contains(g, "/cy:") || strings.Contains(g, "/pl:") {
			t.Errorf("a withheld translation was sent: %s", g)
		}
	}
}
