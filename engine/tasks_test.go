package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Whoever a task is assigned to completes it, under their own name; a
// planner may complete anyone's; nobody else may.
func TestOnlyTheAssigneeOrAPlannerCompletesATask(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live")
	weekly := OccurrenceID(id, "weekly", 1)
	apply(t, e, &Fire{Occurrence: weekly})
	if !AwaitsAcknowledgement(e.Read(), mustRunbook(t, e, id), nil, weekly, "duty-comms") {
		t.Error("the assignee is not asked to acknowledge their open task")
	}
	if AwaitsAcknowledgement(e.Read(), mustRunbook(t, e, id), nil, weekly, "head-comms") {
		t.Error("someone else is asked to acknowledge the task")
	}
	_, err := e.Apply(context.Background(), &CompleteTask{Meta: Meta{Actor: "Head"}, Task: weekly, By: "head-comms", AsAssignee: true})
	if !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("someone else completed the task: %v", err)
	}
	apply(t, e, &Acknowledge{Subject: weekly, By: "duty-comms"})
	if AwaitsAcknowledgement(e.Read(), mustRunbook(t, e, id), nil, weekly, "duty-comms") {
		t.Error("still asked to acknowledge after acknowledging")
	}
	apply(t, e, &CompleteTask{Meta: Meta{Actor: "Duty"}, Task: weekly, By: "duty-comms", AsAssignee: true})
	task, _ := e.Read().Task(nil, weekly)
	if task.State != state.TaskDone || task.DoneBy != "Duty" {
		t.Errorf("task = %+v", task)
	}
}

func TestAPlannerCompletesAnyonesTask(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live")
	weekly := OccurrenceID(id, "weekly", 1)
	apply(t, e, &Fire{Occurrence: weekly})
	apply(t, e, &CompleteTask{Meta: Meta{Actor: "Planner"}, Task: weekly, By: "planner@example.org"})
	if task, _ := e.Read().Task(nil, weekly); task.State != state.TaskDone {
		t.Errorf("task = %+v", task)
	}
}

func mustRunbook(t *testing.T, e *Engine, id string) *runbooks.Runbook {
	t.Helper()
	rb, err := e.Runbook(id)
	if err != nil {
		t.Fatal(err)
	}
	return rb
}
