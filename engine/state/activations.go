package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Activation states.
const (
	ActivationActive    = "active"
	ActivationStoodDown = "stood_down"
	ActivationHalted    = "halted" // an exercise stopped, say by a real incident
)

// Activation is one run of one runbook.
type Activation struct {
	ID      string
	Runbook string // the runbook's id
	Title   string
	// Source is the runbook file as it was at activation: the pinned copy
	// that this activation runs to the end, whatever happens to the file.
	Source     []byte
	SourceName string
	Mode       string // live or exercise
	Event      string
	Severity   string
	Params     map[string]string
	// Speed is scenario seconds per real second for exercises; 0 means
	// real time, and instant drills jump from one due item to the next.
	Speed float64
	// PaceScenario and PaceWall are the moment, in scenario and wall
	// time, from which Speed holds: zero until the speed is changed, when
	// it holds from the start.
	PaceScenario, PaceWall time.Time
	// Paces are every speed the exercise has run at, in order, from the
	// real moment each began: the report says them all.
	Paces     []Pace
	State     string
	StartedAt time.Time
	StartedBy string
	EndedAt   time.Time
	EndedBy   string
	EndReason string
}

// Exercise reports whether the activation is a drill.
func (a *Activation) Exercise() bool { return a.Mode == "exercise" }

// UpsertActivation writes an activation.
func (t *Txn) UpsertActivation(a *Activation) error { return t.insert(TableActivations, a) }

// Activation returns the activation with the given id, or nil.
func (t *Txn) Activation(ws memdb.WatchSet, id string) (*Activation, error) {
	return get[Activation](t, ws, TableActivations, id)
}

// Activations returns every activation, by id.
func (t *Txn) Activations(ws memdb.WatchSet) ([]*Activation, error) {
	return list[Activation](t, ws, TableActivations, IndexID)
}

// ActivationsInState returns the activations in one state, by id.
func (t *Txn) ActivationsInState(ws memdb.WatchSet, state string) ([]*Activation, error) {
	return list[Activation](t, ws, TableActivations, IndexState, state)
}

// Pace is a speed an exercise ran at, from a real moment.
type Pace struct {
	Speed float64   `json:"speed"`
	Since time.Time `json:"since"` // real time
}
