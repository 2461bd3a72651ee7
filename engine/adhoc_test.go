package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/crierhq/crier/engine/state"
)

func TestAdHocApprovers(t *testing.T) {
	e, _, id, _ := firedBilingual(t, "live")
	rb, _ := e.Runbook(id)
	for _, tc := range []struct {
		to   []string
		want string
		min  int
	}{
		{[]string{"welsh-speakers"}, "comms head", 1}, // the statement's approvers
		{[]string{"media"}, "head", 1},                // the media brief's
		{[]string{"welsh-speakers", "media"}, "comms head", 1},
	} {
		got, least := AdHocApprovers(rb, nil, tc.to, "")
		if strings.Join(got, " ") != tc.want || least != tc.min {
			t.Errorf("to %v: approvers %v, min %d; want %s, %d", tc.to, got, least, tc.want, tc.min)
		}
	}
	// No step notifies an audience: every approver in the runbook.
	src := strings.Replace(bilingual, "  - {id: media, stakeholders: [press]}", "  - {id: media, stakeholders: [press]}\n  - {id: staff, stakeholders: [comms]}", 1)
	e2, _ := newEngine(t, nil)
	id2 := ActivationID(apply(t, e2, &Activate{Source: []byte(src), SourceName: "b.yaml", Mode: "live"}))
	rb2, _ := e2.Runbook(id2)
	if got, least := AdHocApprovers(rb2, nil, []string{"staff"}, ""); strings.Join(got, " ") != "comms head" || least != 1 {
		t.Errorf("to staff, whom no step notifies: approvers %v, min %d", got, least)
	}
}

func TestAnAdHocMessageIsApprovedAndSent(t *testing.T) {
	e, _, id, _ := firedBilingual(t, "live")
	index := apply(t, e, &WriteMessage{Meta: Meta{Actor: "Dev Duty"}, Activation: id, By: "comms",
		To: []string{"residents", "welsh-speakers"}, Subject: "Correction", Body: "The road reopens at 5pm, not 6pm.",
		Translations: map[string]state.Translation{"cy": {Body: "Mae'r ffordd yn ailagor am 5pm."}}})
	msg := AdHocID(id, index)
	m, _ := e.Read().Message(nil, msg)
	if m == nil || m.State != state.MessagePendingApproval || m.AdHoc == nil || m.MinApprovals != 1 || m.Translations["cy"].Subject != "Correction" {
		t.Fatalf("ad-hoc message (command %d) = %+v", index, m)
	}
	// Its id is not a step occurrence's.
	if msg == OccurrenceID(id, "statement", 1) || strings.Contains(msg, "/statement/") {
		t.Fatal("collision")
	}
	// The press desk is no approver; the writer may not approve their own.
	_, err := e.Apply(context.Background(), &Approve{Message: msg, By: "press"})
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "not an approver of this ad-hoc message") {
		t.Errorf("press approved: %v", err)
	}
	_, err = e.Apply(context.Background(), &Approve{Meta: Meta{Actor: "Dev Duty"}, Message: msg, By: "comms"})
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "four eyes") {
		t.Errorf("the writer approved their own message: %v", err)
	}
	apply(t, e, &Approve{Meta: Meta{Actor: "Head"}, Message: msg, By: "head"})
	got := strings.Join(sentTo(t, e), "\n")
	for _, want := range []string{
		"#public/: Correction | The road reopens at 5pm, not 6pm.",
		"grwpiau@example.org/: Correction | The road reopens at 5pm, not 6pm.",
		"grwpiau@example.org/cy: Correction | Mae'r ffordd yn ailagor am 5pm.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("not sent: %s\nsent:\n%s", want, got)
		}
	}
	if strings.Contains(got, "grupy@example.org/: Correction") {
		t.Errorf("sent to an audience not chosen:\n%s", got)
	}
	// In the report, like any message.
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(r.Messages, func(mr MessageReport) bool { return mr.ID == msg && mr.Subject == "Correction" }) {
		t.Errorf("the report does not list the ad-hoc message: %+v", r.Messages)
	}
	// A second one has its own id.
	second := apply(t, e, &WriteMessage{Activation: id, By: "comms", To: []string{"media"}, Subject: "Update", Body: "Briefing moved."})
	if m, _ := e.Read().Message(nil, AdHocID(id, second)); m == nil || m.Current().Subject != "Update" || AdHocID(id, second) == msg {
		t.Errorf("second ad-hoc message: %+v", m)
	}
}

func TestAnAdHocMessageIsRefusedWithReasons(t *testing.T) {
	e, _, id, _ := firedBilingual(t, "live")
	for _, tc := range []struct {
		c    *WriteMessage
		want string
	}{
		{&WriteMessage{To: nil, Subject: "s", Body: "b"}, "choose at least one audience"},
		{&WriteMessage{To: []string{"public"}, Subject: "s", Body: "b"}, `"public" is not an audience`},
		{&WriteMessage{To: []string{"residents"}, Subject: "s", Body: " "}, "needs a subject and a text"},
		{&WriteMessage{To: []string{"residents"}, Subject: "s", Body: "b", Translations: map[string]state.Translation{"pl": {Body: "x"}}},
			"none of the audiences chosen reads Polish (pl)"},
	} {
		tc.c.Activation, tc.c.By = id, "comms"
		if _, err := e.Apply(context.Background(), tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	apply(t, e, &StandDown{Activation: id, Reason: "over"})
	if _, err := e.Apply(context.Background(), &WriteMessage{Activation: id, By: "comms", To: []string{"residents"}, Subject: "s", Body: "b"}); err == nil ||
		!strings.Contains(err.Error(), "has ended") {
		t.Errorf("wrote to a stood-down activation: %v", err)
	}
}

func TestAnAdHocMessageInAnExerciseKeepsToItsBounds(t *testing.T) {
	for _, tc := range []struct {
		exercise string
		want     []string
	}{
		{"exercise: {redirect: [drill]}", []string{"#ex-comms-cell/: EXERCISE EXERCISE EXERCISE Correction"}},
		// Participants: the press desk is not taking part, so withheld.
		{"exercise: {participants: [residents]}", []string{"#public/: EXERCISE EXERCISE EXERCISE Correction"}},
	} {
		e, _ := newEngine(t, nil)
		id := ActivationID(apply(t, e, &Activate{Source: []byte(bilingual + tc.exercise + "\n"), SourceName: "b.yaml", Mode: "exercise"}))
		msg := AdHocID(id, apply(t, e, &WriteMessage{Activation: id, By: "comms", To: []string{"residents", "media"}, Subject: "Correction", Body: "Reopens at 5pm."}))
		apply(t, e, &Approve{Message: msg, By: "head"})
		var got []string
		for _, s := range sentTo(t, e) {
			subject, body, _ := strings.Cut(s, " | ")
			got = append(got, subject)
			if !strings.HasPrefix(body, "EXERCISE EXERCISE EXERCISE") {
				t.Errorf("%s: body not marked: %q", tc.exercise, body)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: sent %q, want %q", tc.exercise, got, tc.want)
		}
		m, _ := e.Read().Message(nil, msg)
		if strings.Contains(tc.exercise, "participants") && m.Withheld != 1 {
			t.Errorf("%s: %d withheld, want 1 (the press desk)", tc.exercise, m.Withheld)
		}
	}
}

// Edits with translations, re-drafts and ad-hoc messages are commands
// like any other: replaying the record gives the same state.
func TestRevisionsAndAdHocMessagesReplay(t *testing.T) {
	log := &MemoryLog{}
	e, _ := newEngine(t, log)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(bilingual), SourceName: "b.yaml", Mode: "live"}))
	msg := OccurrenceID(id, "statement", 1)
	apply(t, e, &Edit{Message: msg, By: "comms", Body: "Closed until 6pm.", Translations: map[string]state.Translation{"cy": {Body: "Ar gau tan 6pm."}}, Withhold: []string{"pl"}})
	apply(t, e, &Reject{Message: msg, By: "head", Reason: "say which street"})
	apply(t, e, &Redraft{Message: msg, By: "head", Body: "High Street closed until 6pm.", Withhold: []string{"cy", "pl"}})
	apply(t, e, &Approve{Message: msg, By: "comms"})
	adhoc := AdHocID(id, apply(t, e, &WriteMessage{Activation: id, By: "comms", To: []string{"welsh-speakers"}, Subject: "Update", Body: "Open again.",
		Translations: map[string]state.Translation{"cy": {Body: "Ar agor eto."}}}))
	apply(t, e, &Approve{Message: adhoc, By: "head"})
	replayed, _ := newEngine(t, log)
	if a, b := dump(t, e), dump(t, replayed); a != b {
		t.Errorf("replay differs:\n%s\n---\n%s", a, b)
	}
}
