// Package engine runs activations: every change is a Command, stamped once,
// appended to a Log and applied to go-memdb by an FSM that does no I/O and
// reads no clock, so the state is a pure function of the log. The
// scheduler and the dispatcher turn committed state into due items and
// sends, whose results come back as commands.
package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// Meta is stamped on a command once, before it is logged.
type Meta struct {
	Index uint64 `json:"index"` // its place in the log
	// At is when it happened in its activation's own time: for an exercise
	// running faster than real time, scenario time.
	At time.Time `json:"at"`
	// Wall is when it happened by the engine's clock, kept beside At for
	// the audit: the same as At but in a paced exercise.
	Wall  time.Time `json:"wall,omitempty"`
	Actor string    `json:"actor"` // who: a user, or scheduler, dispatcher, simulated-controller
}

// Command is one change to the state.
type Command interface {
	meta() *Meta
	// Kind names the command in the log.
	Kind() string
}

func (m *Meta) meta() *Meta { return m }

// Activate starts a runbook. Source is the runbook file itself: the
// activation keeps this pinned copy to the end.
type Activate struct {
	Meta
	Source     []byte            `json:"source"`
	SourceName string            `json:"source_name"`
	Mode       string            `json:"mode"` // live or exercise
	Event      string            `json:"event,omitempty"`
	Severity   string            `json:"severity,omitempty"`
	Params     map[string]string `json:"params,omitempty"`
	Speed      float64           `json:"speed,omitempty"`
	// FiresAtStart: the steps due at the start fire within the activation
	// itself, not in a command of their own after it, so that the first
	// messages go a commit sooner. Every activation proposed now says so;
	// a record's older ones, without it, replay as they were made.
	FiresAtStart bool `json:"fires_at_start,omitempty"`
}

// Fire makes a due occurrence happen: its message is drafted or its task
// opened.
type Fire struct {
	Meta
	Occurrence string `json:"occurrence"`
}

// StandDown ends an activation: what is pending is cancelled and nothing
// more is sent.
type StandDown struct {
	Meta
	Activation string `json:"activation"`
	Reason     string `json:"reason"`
}

// Halt stops an exercise at once, for instance because a real incident
// needs the people in it.
type Halt struct {
	Meta
	Activation string `json:"activation"`
	Reason     string `json:"reason"`
}

// RecordDecision adds to an activation's decision log.
type RecordDecision struct {
	Meta
	Activation  string `json:"activation"`
	Decision    string `json:"decision"`
	Rationale   string `json:"rationale"`
	Information string `json:"information"`
}

// Approve is one approver's yes to the current revision of a message.
// By names the approver as the runbook knows them: stakeholder id, email
// address or Slack user id.
type Approve struct {
	Meta
	Message string `json:"message"`
	// Revision, when given, is the revision the approver saw: approving
	// fails if the message has been edited since.
	Revision  int    `json:"revision,omitempty"`
	By        string `json:"by"`
	Simulated bool   `json:"simulated,omitempty"`
}

// Reject turns a message down; it will not be sent. Revision, when
// given, is the revision the approver saw, as Approve's.
type Reject struct {
	Meta
	Message  string `json:"message"`
	Revision int    `json:"revision,omitempty"`
	By       string `json:"by"`
	Reason   string `json:"reason"`
}

// Edit makes a new revision of a message awaiting approval; approvals of
// earlier revisions no longer count. Translations are its translations
// as revised, by language, and Withhold the languages not to send: given
// either, every translation the message has must be in one. An edit with
// neither (as every edit was before edits carried translations) sends
// the message without its translations. Revision, when given, is the
// revision the editor saw, as Approve's.
type Edit struct {
	Meta
	Message      string                       `json:"message"`
	Revision     int                          `json:"revision,omitempty"`
	By           string                       `json:"by"`
	Subject      string                       `json:"subject"`
	Body         string                       `json:"body"`
	Translations map[string]state.Translation `json:"translations,omitempty"`
	Withhold     []string                     `json:"withhold,omitempty"`
}

// Redraft writes a new revision of a rejected message, with its
// translations as Edit has them, and puts it back for approval.
// Revision, when given, is the revision the re-drafter saw.
type Redraft struct {
	Meta
	Message      string                       `json:"message"`
	Revision     int                          `json:"revision,omitempty"`
	By           string                       `json:"by"`
	Subject      string                       `json:"subject"`
	Body         string                       `json:"body"`
	Translations map[string]state.Translation `json:"translations,omitempty"`
	Withhold     []string                     `json:"withhold,omitempty"`
}

// WriteMessage is an ad-hoc message a comms officer writes during an
// activation (a correction, an update) to audiences of its runbook, with
// translations for the languages they read. It is held for approval like
// a step's message.
type WriteMessage struct {
	Meta
	Activation   string                       `json:"activation"`
	By           string                       `json:"by"`
	To           []string                     `json:"to"`
	Subject      string                       `json:"subject"`
	Body         string                       `json:"body"`
	Translations map[string]state.Translation `json:"translations,omitempty"`
	// Rumour, for a correction, is the rumour it corrects: the runbook's
	// rumours section names who approves it.
	Rumour string `json:"rumour,omitempty"`
}

// Acknowledge records that a stakeholder has seen a message or task.
type Acknowledge struct {
	Meta
	Subject string `json:"subject"` // a message or task id
	By      string `json:"by"`
	Via     string `json:"via,omitempty"`
	// For, when set, is the stakeholder an admin (By) acknowledges for:
	// the server lets only admins set it, and the record says so.
	For string `json:"for,omitempty"`
}

// CompleteTask marks a task done. With AsAssignee, By completes it as
// someone it is assigned to, and must be; without it, as a planner (or an
// admin), who may complete anyone's task — the server sets AsAssignee for
// everyone else. Records made before AsAssignee existed hold only
// planners' completions, and read so.
type CompleteTask struct {
	Meta
	Task       string `json:"task"`
	By         string `json:"by"`
	AsAssignee bool   `json:"as_assignee,omitempty"`
}

// ReassignTask gives a task to someone else.
type ReassignTask struct {
	Meta
	Task string `json:"task"`
	To   string `json:"to"`
}

// ResumeDeliveries, when crier starts (or a node takes the lead), puts
// back every delivery whose attempt has no recorded outcome, to be sent
// again and marked as possibly duplicated: nothing approved is dropped.
type ResumeDeliveries struct {
	Meta
}

// AnnounceLeader records that a node has taken the lead of the cluster,
// and its HTTP address, where the others pass on the commands they are
// given.
type AnnounceLeader struct {
	Meta
	Node string `json:"node"`
	API  string `json:"api"`
}

// Outcome is what became of one delivery.
type Outcome struct {
	Delivery string `json:"delivery"`
	// State is attempted, sent or failed; after sent, a receipt: delivered,
	// undelivered, or sent again with a Receipt saying it is not known to
	// have arrived.
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
	Ref     string `json:"ref,omitempty"`     // the service's reference for a message it accepted
	Receipt string `json:"receipt,omitempty"` // what the service said became of it
	// Rows and SHA256 open a delivery to a contact list (State opened):
	// its size and the checksum of its file, before any row is sent. A
	// row's outcome names the row: delivery#row.
	Rows     int    `json:"rows,omitempty"`
	Contacts int    `json:"contacts,omitempty"` // the rows with a contact of the delivery's kind
	SHA256   string `json:"sha256,omitempty"`
}

// ListOpened is the state of an outcome that opens a list delivery.
const ListOpened = "opened"

// SendInject sends an exercise lead's inject to targets of the runbook
// (channels, audiences, stakeholders, roles) during an exercise: a
// development the scenario did not schedule.
type SendInject struct {
	Meta
	Activation string   `json:"activation"`
	To         []string `json:"to"`
	Body       string   `json:"body"`
}

// SetSpeed changes how fast an exercise runs, from now. Wall is the real
// time of the change, given by whoever asks (the engine reads no clock).
type SetSpeed struct {
	Meta
	Activation string    `json:"activation"`
	Speed      float64   `json:"speed"` // scenario seconds per real second; 1 is real time
	Wall       time.Time `json:"wall"`
}

// RecordOutcomes reports many deliveries' outcomes in one command.
type RecordOutcomes struct {
	Meta
	Outcomes []Outcome `json:"outcomes"`
}

func (*Activate) Kind() string         { return "activate" }
func (*Approve) Kind() string          { return "approve" }
func (*Reject) Kind() string           { return "reject" }
func (*Edit) Kind() string             { return "edit" }
func (*Redraft) Kind() string          { return "redraft" }
func (*WriteMessage) Kind() string     { return "write_message" }
func (*Acknowledge) Kind() string      { return "acknowledge" }
func (*CompleteTask) Kind() string     { return "complete_task" }
func (*ReassignTask) Kind() string     { return "reassign_task" }
func (*RecordOutcomes) Kind() string   { return "record_outcomes" }
func (*Fire) Kind() string             { return "fire" }
func (*StandDown) Kind() string        { return "stand_down" }
func (*Halt) Kind() string             { return "halt" }
func (*RecordDecision) Kind() string   { return "record_decision" }
func (*SendInject) Kind() string       { return "send_inject" }
func (*SetSpeed) Kind() string         { return "set_speed" }
func (*ResumeDeliveries) Kind() string { return "resume_deliveries" }
func (*AnnounceLeader) Kind() string   { return "announce_leader" }

// newCommand makes an empty command of a kind, for decoding the log.
func newCommand(kind string) (Command, error) {
	switch kind {
	case "activate":
		return &Activate{}, nil
	case "fire":
		return &Fire{}, nil
	case "stand_down":
		return &StandDown{}, nil
	case "halt":
		return &Halt{}, nil
	case "record_decision":
		return &RecordDecision{}, nil
	case "approve":
		return &Approve{}, nil
	case "reject":
		return &Reject{}, nil
	case "edit":
		return &Edit{}, nil
	case "redraft":
		return &Redraft{}, nil
	case "write_message":
		return &WriteMessage{}, nil
	case "acknowledge":
		return &Acknowledge{}, nil
	case "complete_task":
		return &CompleteTask{}, nil
	case "reassign_task":
		return &ReassignTask{}, nil
	case "record_outcomes":
		return &RecordOutcomes{}, nil
	case "send_inject":
		return &SendInject{}, nil
	case "set_speed":
		return &SetSpeed{}, nil
	case "resume_deliveries":
		return &ResumeDeliveries{}, nil
	case "announce_leader":
		return &AnnounceLeader{}, nil
	case "set_directory":
		return &SetDirectory{}, nil
	case "record_tension":
		return &RecordTension{}, nil
	case "log_rumour":
		return &LogRumour{}, nil
	case "assess_rumour":
		return &AssessRumour{}, nil
	}
	return nil, fmt.Errorf("unknown command %q", kind)
}

// EncodeCommand writes a command for the log: its kind, a newline, and
// the command as JSON.
func EncodeCommand(c Command) ([]byte, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return append(append([]byte(c.Kind()), '\n'), body...), nil
}

// DecodeCommand reads a command from the log.
func DecodeCommand(data []byte) (Command, error) {
	kind, body, ok := bytes.Cut(data, []byte{'\n'})
	if !ok {
		return nil, fmt.Errorf("reading a logged command: no kind")
	}
	c, err := newCommand(string(kind))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, c); err != nil {
		return nil, fmt.Errorf("reading a logged %s command: %w", kind, err)
	}
	return c, nil
}
