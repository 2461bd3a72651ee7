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
	ID             string
	ActivationID   string
	OccurrenceID   string
	Step           string
	Assignee       string // stakeholder id, or role:X until someone takes it
	Instructions   string
	State          string
	OpenedAt       time.Time
	AcknowledgedAt time.Time
	AcknowledgedBy string
	DoneAt         time.Time
	DoneBy         string
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
