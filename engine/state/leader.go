package state

import (
	"time"

	"github.com/hashicorp/go-memdb"
)

// Leader is the node that leads the cluster, as it announced itself on
// taking the lead: where followers send the commands they are given.
type Leader struct {
	ID    string // always "leader"
	Node  string // its node id
	API   string // its HTTP address, http://host:port
	Since time.Time
}

const leaderID = "leader"

// SetLeader records the node that has taken the lead.
func (t *Txn) SetLeader(node, api string, since time.Time) error {
	return t.insert(TableLeader, &Leader{ID: leaderID, Node: node, API: api, Since: since})
}

// Leader is the node that last announced it leads, if any has.
func (t *Txn) Leader(ws memdb.WatchSet) (*Leader, error) {
	return get[Leader](t, ws, TableLeader, leaderID)
}
