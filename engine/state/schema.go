// Package state holds the engine's state in go-memdb: the schema, one file
// per kind of record, and typed reads and writes. Records read from the
// store are shared and must never be changed in place: copy, change, write.
//
// Only the engine's FSM writes, inside one transaction per command; every
// read takes a memdb.WatchSet so that live views can wait for changes.
package state

import (
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
)

// Tables.
const (
	TableActivations      = "activations"
	TableOccurrences      = "occurrences"
	TableMessages         = "messages"
	TableApprovals        = "approvals"
	TableDeliveries       = "deliveries"
	TableAcknowledgements = "acknowledgements"
	TableTasks            = "tasks"
	TableEscalations      = "escalations"
	TableDecisions        = "decisions"
	TableEvents           = "events"
	TableChain            = "chain"     // one row: the head of the record's hash chain
	TableLeader           = "leader"    // one row: the node that leads, and its address
	TableDirectory        = "directory" // one row: the directory in force
	TableTension          = "tension"
	TableRumours          = "rumours"
)

// Indexes. Every table has IndexID; the others exist where listed in Schema.
const (
	IndexID         = "id"
	IndexActivation = "activation"
	IndexState      = "state"
	IndexMessage    = "message"
	IndexSubject    = "subject"
)

func idIndex() *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: IndexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}}
}

func stringIndex(name, field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, Indexer: &memdb.StringFieldIndex{Field: field}}
}

// blockIndex indexes blocks of deliveries by what the deliveries in them
// await (see blockIndexer).
func blockIndex() *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: IndexState, AllowMissing: true, Indexer: blockIndexer{}}
}

// Schema is the whole database, listed in one place.
func Schema() *memdb.DBSchema {
	table := func(name string, indexes ...*memdb.IndexSchema) *memdb.TableSchema {
		t := &memdb.TableSchema{Name: name, Indexes: map[string]*memdb.IndexSchema{IndexID: idIndex()}}
		for _, ix := range indexes {
			t.Indexes[ix.Name] = ix
		}
		return t
	}
	tables := []*memdb.TableSchema{
		table(TableActivations, stringIndex(IndexState, "State")),
		table(TableOccurrences, stringIndex(IndexActivation, "ActivationID"), stringIndex(IndexState, "State")),
		table(TableMessages, stringIndex(IndexActivation, "ActivationID"), stringIndex(IndexState, "State")),
		table(TableApprovals, stringIndex(IndexMessage, "MessageID")),
		// Deliveries are the most numerous records, kept in blocks (see
		// deliveries.go) with few indexes: a message's are found by the
		// prefix of their ids, an activation's through its messages, and
		// only blocks with deliveries outstanding are indexed by state.
		table(TableDeliveries, blockIndex()),
		table(TableAcknowledgements, stringIndex(IndexActivation, "ActivationID"), stringIndex(IndexSubject, "SubjectID")),
		table(TableTasks, stringIndex(IndexActivation, "ActivationID"), stringIndex(IndexState, "State")),
		table(TableEscalations, stringIndex(IndexActivation, "ActivationID"), stringIndex(IndexSubject, "SubjectID")),
		table(TableDecisions, stringIndex(IndexActivation, "ActivationID")),
		table(TableEvents, stringIndex(IndexActivation, "ActivationID")),
		table(TableChain),
		table(TableLeader),
		table(TableDirectory),
		table(TableTension, stringIndex(IndexActivation, "ActivationID")),
		table(TableRumours, stringIndex(IndexActivation, "ActivationID")),
	}
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, t := range tables {
		s.Tables[t.Name] = t
	}
	return s
}

// Store is the engine's database.
type Store struct {
	db atomic.Pointer[memdb.MemDB]
}

// New makes an empty store.
func New() (*Store, error) {
	db, err := memdb.NewMemDB(Schema())
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	s := &Store{}
	s.db.Store(db)
	return s, nil
}

// Write starts the one write transaction a command is applied in.
func (s *Store) Write() *Txn { return &Txn{txn: s.db.Load().Txn(true)} }

// Read starts a read-only view of the state as it is now.
func (s *Store) Read() *Txn { return &Txn{txn: s.db.Load().Txn(false)} }

// Replace swaps in another store's contents, as restoring a snapshot
// does. Views already open keep reading what they were opened on.
func (s *Store) Replace(other *Store) { s.db.Store(other.db.Load()) }

// Txn is a transaction on the store, with typed reads and writes.
type Txn struct {
	txn   *memdb.Txn
	dirty map[string]*block // blocks of deliveries changed and not yet written
}

// Commit makes a write transaction's changes visible.
func (t *Txn) Commit() error {
	if err := t.flush(); err != nil {
		t.txn.Abort()
		return err
	}
	t.txn.Commit()
	return nil
}

// Abort drops a write transaction's changes; it is safe after Commit.
func (t *Txn) Abort() {
	t.dirty = nil
	t.txn.Abort()
}

func (t *Txn) insert(table string, obj any) error {
	if err := t.txn.Insert(table, obj); err != nil {
		return fmt.Errorf("state: writing %s: %w", table, err)
	}
	return nil
}

// get returns the record with the given id, or nil.
func get[T any](t *Txn, ws memdb.WatchSet, table, id string) (*T, error) {
	watch, obj, err := t.txn.FirstWatch(table, IndexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: reading %s: %w", table, err)
	}
	ws.Add(watch)
	if obj == nil {
		return nil, nil
	}
	return obj.(*T), nil
}

// list returns every record matching an index lookup, in index order.
func list[T any](t *Txn, ws memdb.WatchSet, table, index string, args ...any) ([]*T, error) {
	it, err := t.txn.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("state: reading %s by %s: %w", table, index, err)
	}
	ws.Add(it.WatchCh())
	var out []*T
	for obj := it.Next(); obj != nil; obj = it.Next() {
		out = append(out, obj.(*T))
	}
	return out, nil
}

// Dump is every record in every table, by table and then id: the whole
// state, for comparing two stores.
func (t *Txn) Dump() (map[string][]any, error) {
	out := map[string][]any{}
	for name := range Schema().Tables {
		rows, err := t.records(name)
		if err != nil {
			return nil, err
		}
		out[name] = rows
	}
	return out, nil
}

// records is every record of a table, in id order: for deliveries, each
// delivery of each block.
func (t *Txn) records(table string) ([]any, error) {
	if err := t.flush(); err != nil {
		return nil, err
	}
	it, err := t.txn.Get(table, IndexID)
	if err != nil {
		return nil, err
	}
	rows := []any{}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		b, ok := obj.(*block)
		if !ok {
			rows = append(rows, obj)
			continue
		}
		for _, d := range b.D {
			if d != nil {
				rows = append(rows, d)
			}
		}
	}
	return rows, nil
}
