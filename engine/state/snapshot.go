package state

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// snapshotVersion is written first in every snapshot; Restore refuses any
// other, so a snapshot from a later crier is never half read.
const snapshotVersion = 1

// rows are the tables a snapshot holds, in the order it holds them, with
// a constructor for each table's record.
func rows() []struct {
	table string
	new   func() any
} {
	return []struct {
		table string
		new   func() any
	}{
		{TableChain, func() any { return new(Head) }}, // first, so that SnapshotHead reads little
		{TableLeader, func() any { return new(Leader) }},
		{TableActivations, func() any { return new(Activation) }},
		{TableOccurrences, func() any { return new(Occurrence) }},
		{TableMessages, func() any { return new(Message) }},
		{TableApprovals, func() any { return new(Approval) }},
		{TableDeliveries, func() any { return new(Delivery) }},
		{TableAcknowledgements, func() any { return new(Acknowledgement) }},
		{TableTasks, func() any { return new(Task) }},
		{TableEscalations, func() any { return new(Escalation) }},
		{TableDecisions, func() any { return new(Decision) }},
		{TableEvents, func() any { return new(Event) }},
		// Tables added since: a snapshot made before them ends before them.
		{TableDirectory, func() any { return new(Directory) }},
		{TableTension, func() any { return new(Tension) }},
		{TableRumours, func() any { return new(Rumour) }},
	}
}

// tableHeader starts each table in a snapshot.
type tableHeader struct {
	Table string
	Rows  int
}

// WriteSnapshot writes every record the view sees to w, table by table.
// The view is a consistent moment of the state however long writing takes.
func (t *Txn) WriteSnapshot(w io.Writer) error {
	enc := gob.NewEncoder(w)
	if err := enc.Encode(snapshotVersion); err != nil {
		return err
	}
	for _, r := range rows() {
		objs, err := t.records(r.table)
		if err != nil {
			return err
		}
		if err := enc.Encode(tableHeader{Table: r.table, Rows: len(objs)}); err != nil {
			return err
		}
		for _, obj := range objs {
			if err := enc.Encode(obj); err != nil {
				return fmt.Errorf("writing %s: %w", r.table, err)
			}
		}
	}
	return nil
}

// restoreBatch is how many records go into one write transaction.
const restoreBatch = 10_000

// Restore reads a snapshot into a new store. Decoding and inserting run
// side by side, so restoring takes about as long as inserting alone.
func Restore(r io.Reader) (*Store, error) {
	s, err := New()
	if err != nil {
		return nil, err
	}
	type batch struct {
		table string
		objs  []any
	}
	batches := make(chan batch, 4)
	var insertErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		db := s.db.Load()
		for b := range batches {
			if insertErr != nil {
				continue // drain
			}
			txn := &Txn{txn: db.Txn(true)}
			for _, obj := range b.objs {
				if err := txn.Insert(b.table, obj); err != nil {
					txn.Abort()
					insertErr = fmt.Errorf("restoring %s: %w", b.table, err)
					break
				}
			}
			if insertErr == nil {
				insertErr = txn.Commit()
			}
		}
	})
	err = decodeSnapshot(r, func(table string, objs []any) { batches <- batch{table, objs} })
	close(batches)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return s, insertErr
}

// Insert writes a record as Dump or a snapshot gives it into its table.
func (t *Txn) Insert(table string, obj any) error {
	if d, ok := obj.(*Delivery); ok && table == TableDeliveries {
		return t.UpsertDelivery(d)
	}
	return t.insert(table, obj)
}

func decodeSnapshot(r io.Reader, emit func(table string, objs []any)) error {
	dec := gob.NewDecoder(r)
	var version int
	if err := dec.Decode(&version); err != nil {
		return fmt.Errorf("reading the snapshot: %w", err)
	}
	if version != snapshotVersion {
		return fmt.Errorf("the snapshot is version %d; this crier reads version %d", version, snapshotVersion)
	}
	for _, want := range rows() {
		var h tableHeader
		if err := dec.Decode(&h); errors.Is(err, io.EOF) && slices.Contains([]string{TableDirectory, TableTension, TableRumours}, want.table) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the snapshot: %w", err)
		}
		if h.Table != want.table || h.Rows < 0 {
			return fmt.Errorf("the snapshot has table %q where %q belongs", h.Table, want.table)
		}
		objs := make([]any, 0, min(h.Rows, restoreBatch))
		for i := range h.Rows {
			obj := want.new()
			if err := dec.Decode(obj); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("reading %s record %d of %d: %w", h.Table, i+1, h.Rows, err)
			}
			objs = append(objs, obj)
			if len(objs) == restoreBatch {
				emit(h.Table, objs)
				objs = make([]any, 0, min(h.Rows-i-1, restoreBatch))
			}
		}
		if len(objs) > 0 {
			emit(h.Table, objs)
		}
	}
	return nil
}

// SnapshotHead reads the chain's head from the start of a snapshot.
func SnapshotHead(r io.Reader) (Head, error) {
	dec := gob.NewDecoder(r)
	var version int
	var h tableHeader
	if err := dec.Decode(&version); err != nil {
		return Head{}, fmt.Errorf("reading the snapshot: %w", err)
	}
	if version != snapshotVersion {
		return Head{}, fmt.Errorf("the snapshot is version %d; this crier reads version %d", version, snapshotVersion)
	}
	if err := dec.Decode(&h); err != nil || h.Table != TableChain {
		return Head{}, fmt.Errorf("the snapshot does not start with the record's head")
	}
	var head Head
	if h.Rows > 0 {
		if err := dec.Decode(&head); err != nil {
			return Head{}, fmt.Errorf("reading the snapshot's head: %w", err)
		}
	}
	return head, nil
}
