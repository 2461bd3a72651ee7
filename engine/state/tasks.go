package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Task states.
const (
	TaskOpen         = "open"
	TaskAcknowledged = "acknowledged"
	TaskDone         = "done"
	TaskCancelled    = "cancelled"
)

// Task is a human action someone must acknowledge and complete.
type Task struct {
	ID             string    `json:"id"`
	ActivationID   string    `json:"activation_id"`
	OccurrenceID   string    `json:"occurrence_id"`
	Step           string    `json:"step"`
	Assignee       string    `json:"assignee"` // stakeholder id, or role:X until someone takes it
	Instructions   string    `json:"instructions"`
	State          string    `json:"state"`
	OpenedAt       time.Time `json:"opened_at"`
	ReassignedAt   time.Time `json:"reassigned_at"` // when last given to someone else, if ever
	AcknowledgedAt time.Time `json:"acknowledged_at"`
	AcknowledgedBy string    `json:"acknowledged_by,omitempty"`
	DoneAt         time.Time `json:"done_at"`
	DoneBy         string    `json:"done_by,omitempty"`
}

// UpsertTask writes a task.
func (t *Txn) UpsertTask(task *Task) error { return t.insert(TableTasks, task) }

// Task returns the task with the given id, or nil.
func (t *Txn) Task(ws memdb.WatchSet, id string) (*Task, error) {
	return get[Task](t, ws, TableTasks, id)
}

// TasksOf returns an activation's tasks.
func (t *Txn) TasksOf(ws memdb.WatchSet, activationID string) ([]*Task, error) {
	return list[Task](t, ws, TableTasks, IndexActivation, activationID)
}

// TasksInState returns every activation's tasks in one state.
func (t *Txn) TasksInState(ws memdb.WatchSet, state string) ([]*Task, error) {
	return list[Task](t, ws, TableTasks, IndexState, state)
}
