package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// An officer editing a drill message may keep the marking the form showed
// them, or delete it: either way it goes out marked, once at each end.
func TestExerciseEditsStayMarked(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "exercise")
	declare, holding := OccurrenceID(id, "declare", 1), OccurrenceID(id, "holding", 1)
	sendAll(t, e, declare)
	apply(t, e, &Fire{Occurrence: holding})
	p := runbooks.DefaultExercisePrefix
	for _, edit := range []struct{ subject, body string }{
		{p + " Incident at Victoria Hall", p + "\n\nRoads near Victoria Hall are closed.\n\n" + p},
		{"Incident at Victoria Hall", "Roads near Victoria Hall are closed."},
	} {
		apply(t, e, &Edit{Message: holding, By: "duty-comms", Subject: edit.subject, Body: edit.body})
		m, _ := e.Read().Message(nil, holding)
		rev := m.Current()
		if rev.Subject != p+" Incident at Victoria Hall" {
			t.Errorf("subject %q", rev.Subject)
		}
		if !strings.HasPrefix(rev.Body, p) || !strings.HasSuffix(rev.Body, p) || strings.Count(rev.Body, p) != 2 {
			t.Errorf("body not marked once at each end:\n%s", rev.Body)
		}
	}
}

func TestTaskNoticesAreMarkedOnce(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "exercise")
	weekly := OccurrenceID(id, "weekly", 1)
	apply(t, e, &Fire{Occurrence: weekly})
	notice, _ := e.Read().Message(nil, weekly)
	p := runbooks.DefaultExercisePrefix
	if rev := notice.Current(); strings.Count(rev.Subject, p) != 1 || strings.Count(rev.Body, p) != 2 {
		t.Errorf("task notice marked wrongly:\n%s\n%s", rev.Subject, rev.Body)
	}
}

// Only a stakeholder a message reached has anything to acknowledge.
func TestAcknowledgingNeedsTheMessage(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live")
	declare, holding := OccurrenceID(id, "declare", 1), OccurrenceID(id, "holding", 1)
	apply(t, e, &Acknowledge{Subject: declare, By: "duty.comms@northbridge.gov.uk"})
	sendAll(t, e, declare)
	apply(t, e, &Fire{Occurrence: holding})
	apply(t, e, &Approve{Message: holding, By: "duty-comms"})
	// The holding statement went to a Slack channel only: no one was asked.
	if _, err := e.Apply(context.Background(), &Acknowledge{Subject: holding, By: "head-comms"}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("acknowledged a message never sent to them: %v", err)
	}
}

// A task reassigned is open again and sent to its new assignee.
func TestReassignedTasksAskTheirNewAssignee(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live")
	weekly := OccurrenceID(id, "weekly", 1)
	apply(t, e, &Fire{Occurrence: weekly})
	apply(t, e, &Acknowledge{Subject: weekly, By: "duty-comms"})
	apply(t, e, &ReassignTask{Task: weekly, To: "head-comms"})
	task, _ := e.Read().Task(nil, weekly)
	if task.State != state.TaskOpen || task.Assignee != "head-comms" || task.AcknowledgedBy != "" || task.ReassignedAt.IsZero() {
		t.Errorf("reassigned task: %+v", task)
	}
	deliveries, _ := e.Read().DeliveriesOf(nil, weekly)
	var toNew bool
	for _, d := range deliveries {
		toNew = toNew || (d.Revision == 2 && d.Stakeholder == "head-comms" && d.State == state.DeliveryPending)
	}
	if !toNew {
		t.Errorf("the new assignee was not sent the task: %+v", deliveries)
	}
	if _, err := e.Apply(context.Background(), &ReassignTask{Task: weekly, To: "nobody"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("reassigned to no one the runbook knows: %v", err)
	}
}

func TestActivationsAndDecisionsAreChecked(t *testing.T) {
	e, _ := newEngine(t, nil)
	_, err := e.Apply(context.Background(), &Activate{Source: readRunbook(t, "minimal.good.yaml"), SourceName: "m.yaml",
		Mode: "live", Severity: "apocalyptic", Params: map[string]string{"venue": "Victoria Hall"}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "low, medium, high, critical") {
		t.Errorf("an unknown severity: %v", err)
	}
	id := activateMinimal(t, e, "live")
	apply(t, e, &StandDown{Activation: id, Reason: "All clear"})
	if _, err := e.Apply(context.Background(), &RecordDecision{Activation: id, Decision: "Open a rest centre"}); err == nil {
		t.Error("a decision recorded after the stand-down")
	}
}
