package state

import "github.com/hashicorp/go-memdb"

// Head is where the record's hash chain has got to: the log index of the
// last command applied and that command's link, the SHA-256 of the link
// before it and of the command itself. Every command in the log, whether
// it changed the state or was refused, is a link: editing any of them
// breaks the chain from there on.
type Head struct {
	ID    string // always "head"
	Index uint64
	Link  [32]byte
}

const headID = "head"

// SetHead records where the chain has got to.
func (t *Txn) SetHead(index uint64, link [32]byte) error {
	return t.insert(TableChain, &Head{ID: headID, Index: index, Link: link})
}

// Head is where the chain has got to; the zero Head before any command.
func (t *Txn) Head(ws memdb.WatchSet) (Head, error) {
	h, err := get[Head](t, ws, TableChain, headID)
	if err != nil || h == nil {
		return Head{ID: headID}, err
	}
	return *h, nil
}
