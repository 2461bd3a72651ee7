package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Approval is one approver's yes to one revision of a message.
type Approval struct {
	ID        string `json:"id"`
	MessageID string `json:"message_id"`
	Revision  int    `json:"revision"`
	By        string `json:"by"` // the stakeholder id of the approver
	// Person is who approved: the signed-in user (two people sharing one
	// stakeholder's mailbox are two approvers).
	Person string `json:"person,omitempty"`
	// Organisation is the directory organisation the approver signed for,
	// when they are known to belong to one.
	Organisation string    `json:"organisation,omitempty"`
	At           time.Time `json:"at"`
	Simulated    bool      `json:"simulated,omitempty"` // given by a drill's simulated controller
}

// UpsertApproval writes an approval.
func (t *Txn) UpsertApproval(a *Approval) error { return t.insert(TableApprovals, a) }

// ApprovalsOf returns every approval given to a message, of any revision.
func (t *Txn) ApprovalsOf(ws memdb.WatchSet, messageID string) ([]*Approval, error) {
	return list[Approval](t, ws, TableApprovals, IndexMessage, messageID)
}
