package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// Verification is what checking a record found.
type Verification struct {
	Snapshot    uint64   // the index of the latest snapshot, or 0
	First, Last uint64   // the log's first and last entries
	Commands    int      // the commands checked
	Head        [32]byte // the last command's link
	HeadIndex   uint64
	Links       map[[32]byte]uint64 // every link checked, with its command's index
	Broken      uint64              // the first entry that breaks the chain, or 0
	Problem     string              // what is wrong there
}

// Verify checks a stopped node's record in dataDir: the latest snapshot
// against its checksum, and every command in the log against the chain —
// each entry's own link, each link following the one before, and the
// snapshot's head where the log passes it. It names the first broken
// link rather than stopping at an error.
func Verify(dataDir string) (v Verification, err error) {
	_, db, snaps := Files(dataDir)
	store, err := raftboltdb.New(raftboltdb.Options{Path: db, BoltOptions: &bbolt.Options{ReadOnly: true, Timeout: boltOptions().Timeout}})
	if err != nil {
		return v, fmt.Errorf("opening the record %s: %w", db, lockedHint(err))
	}
	defer store.Close()
	defer func() { // bbolt panics on some damaged pages; that is a broken record, not a crash
		if p := recover(); p != nil {
			err = fmt.Errorf("the record's file %s is damaged: %v", db, p)
		}
	}()
	v.Links = map[[32]byte]uint64{}
	snapshots, err := raft.NewFileSnapshotStoreWithLogger(snaps, 2, hclogger(slog.New(slog.DiscardHandler), true))
	if err != nil {
		return v, err
	}
	var snapHead state.Head
	if list, err := snapshots.List(); err != nil {
		return v, err
	} else if len(list) > 0 {
		meta, rc, err := snapshots.Open(list[0].ID)
		if err != nil {
			v.Broken, v.Problem = list[0].Index, fmt.Sprintf("the snapshot at command %d does not match its checksum: %v", list[0].Index, err)
			return v, nil
		}
		snapHead, err = snapshotHead(rc)
		rc.Close()
		if err != nil {
			v.Broken, v.Problem = meta.Index, fmt.Sprintf("the snapshot at command %d cannot be read: %v", meta.Index, err)
			return v, nil
		}
		v.Snapshot = meta.Index
		v.Head, v.HeadIndex = snapHead.Link, snapHead.Index
		v.Links[snapHead.Link] = snapHead.Index
	}
	if v.First, err = store.FirstIndex(); err != nil {
		return v, err
	}
	if v.Last, err = store.LastIndex(); err != nil {
		return v, err
	}
	var prev [32]byte // the link the next command must follow, once known
	known := v.First <= 1
	for i := v.First; i <= v.Last && i > 0; i++ {
		var l raft.Log
		if err := store.GetLog(i, &l); errors.Is(err, raft.ErrLogNotFound) && i <= v.Snapshot {
			known = false // a restored snapshot leaves a gap; the chain goes on from its head
			continue
		} else if err != nil {
			v.Broken, v.Problem = i, fmt.Sprintf("entry %d cannot be read: %v", i, err)
			return v, nil
		}
		if l.Type != raft.LogCommand {
			continue
		}
		before, link, _, err := engine.Unseal(l.Data)
		if !known && v.Snapshot != 0 && i > snapHead.Index { // the first command after the snapshot follows it
			prev, known = snapHead.Link, true
		}
		switch {
		case err != nil:
			v.Broken, v.Problem = i, fmt.Sprintf("command %d: %v", i, err)
			return v, nil
		case known && before != prev:
			v.Broken, v.Problem = i, fmt.Sprintf("command %d does not follow the command before it: the chain is broken there", i)
			return v, nil
		case v.Snapshot != 0 && i == snapHead.Index && link != snapHead.Link:
			v.Broken, v.Problem = i, fmt.Sprintf("command %d is not the command the snapshot records", i)
			return v, nil
		}
		prev, known = link, true
		v.Links[link] = i
		v.Commands++
		if i > v.HeadIndex {
			v.Head, v.HeadIndex = link, i
		}
	}
	return v, nil
}

// snapshotHead reads a snapshot through and returns the chain head it
// records.
func snapshotHead(r io.Reader) (state.Head, error) {
	s, err := state.Restore(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return state.Head{}, err
	}
	return s.Read().Head(nil)
}

// HeadFinding is what a verified record says of a chain head taken from
// elsewhere, such as a report's.
type HeadFinding int

const (
	// HeadFound: the record holds the head; up to there it is as it was.
	HeadFound HeadFinding = iota
	// HeadNotHere: the record has no command with that link (at the index
	// given, when one is). It may be another record's, such as a drill's,
	// which is kept in memory; nothing says this record was changed.
	HeadNotHere
	// HeadPastEnd: the record ends before the index given. The head is
	// another record's, or the commands after the record's end were cut off.
	HeadPastEnd
	// HeadTooOld: the index given is older than the commands kept: the
	// head can no longer be checked.
	HeadTooOld
	// HeadDiffers: the record's command at the index given has another
	// link. For a head this record gave, the record has been rewritten.
	HeadDiffers
)

// FindHead looks for link among the links verified. index, when not 0, is
// the command the head is said to be the link of (a report gives both):
// without it, a link that is not here cannot tell another record's head
// from this record's, changed. It returns the command where the head was
// found, or the index given.
func (v Verification) FindHead(link [32]byte, index uint64) (HeadFinding, uint64) {
	if i, ok := v.Links[link]; ok {
		return HeadFound, i
	}
	switch {
	case index == 0:
		return HeadNotHere, 0
	case index > v.HeadIndex:
		return HeadPastEnd, index
	case slices.Contains(slices.Collect(maps.Values(v.Links)), index):
		return HeadDiffers, index
	case index < v.First || index <= v.Snapshot: // only a snapshot's state holds it now
		return HeadTooOld, index
	}
	return HeadNotHere, index // an entry of Raft's own, not a command
}
