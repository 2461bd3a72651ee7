package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Approval is one approver's yes to one revision of a message.
type Approval struct {
	ID        string
	MessageID string
	Revision  int
	By        string // the stakeholder id of the approver
	At        time.Time
	Simulated bool // given by a drill's simulated controller
}

// UpsertApproval writes an approval.
func (t *Txn) UpsertApproval(a *Approval) error { return t.insert(TableApprovals, a) }

// ApprovalsOf returns every approval given to a message, of any revision.
func (t *Txn) ApprovalsOf(ws memdb.WatchSet, messageID string) ([]*Approval, error) {
	return list[Approval](t, ws, TableApprovals, IndexMessage, messageID)
}
