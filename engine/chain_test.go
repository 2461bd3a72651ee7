package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// recordSome runs a short exercise into log and returns its engine.
func recordSome(t *testing.T, log *MemoryLog) *Engine {
	t.Helper()
	e, clock := newEngine(t, log)
	id := ActivationID(apply(t, e, &Activate{Meta: Meta{Actor: "planner"}, Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise"}))
	// A refused command in the middle is a link like any other.
	if _, err := e.Apply(context.Background(), &Approve{Message: "nothing", By: "lead"}); err == nil {
		t.Fatal("approved a message that does not exist")
	}
	for _, step := range []string{"statement", "rumour"} { // declare fired with the activation
		clock.Set(start.Add(time.Hour))
		apply(t, e, &Fire{Meta: Meta{Actor: "scheduler"}, Occurrence: OccurrenceID(id, step, 1)})
	}
	apply(t, e, &RecordDecision{Meta: Meta{Actor: "gold"}, Activation: id, Decision: "Open the rest centre"})
	return e
}

// Every byte of every entry is covered by the chain: change one and the
// log no longer opens, naming the entry.
func TestTheChainCatchesAnEditedEntry(t *testing.T) {
	log := &MemoryLog{}
	e := recordSome(t, log)
	head, _ := e.Head()
	if head.Index != 5 || head.Link == [linkSize]byte{} {
		t.Fatalf("head %+v, want the fifth command's link", head)
	}
	for _, at := range []int{3, linkSize + 3, 2*linkSize + 20} { // prev link, own link, command
		edited := &MemoryLog{}
		log.Entries(func(i uint64, entry []byte) error {
			entry = bytes.Clone(entry)
			if i == 4 {
				entry[at] ^= 1
			}
			edited.entries = append(edited.entries, entry)
			return nil
		})
		if _, err := Open(context.Background(), Options{Log: edited, Clock: NewVirtualClock(start)}); err == nil || !strings.Contains(err.Error(), "log entry 4") {
			t.Errorf("byte %d of entry 4 changed: %v", at, err)
		}
	}
}

// A snapshot restored into a fresh engine gives the same state, chain
// head included, and commands go on from there.
func TestSnapshotAndRestore(t *testing.T) {
	e := recordSome(t, &MemoryLog{})
	var buf bytes.Buffer
	if err := e.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	restored, _ := newEngine(t, nil)
	if err := restored.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, e), dump(t, restored); a != b {
		t.Errorf("restored state differs:\n%s\n---\n%s", a, b)
	}
	if _, err := restored.Runbook("a-000001"); err != nil {
		t.Errorf("the pinned runbook after a restore: %v", err)
	}
}

// Applying a batch in one transaction gives what applying it entry by
// entry gives, refused commands included.
func TestBatchesApplyAsEntriesDo(t *testing.T) {
	log := &MemoryLog{}
	one := recordSome(t, log)
	batched, _ := newEngine(t, nil)
	var indexes []uint64
	var entries [][]byte
	log.Entries(func(i uint64, entry []byte) error {
		indexes, entries = append(indexes, i), append(entries, entry)
		return nil
	})
	applied, err := batched.ApplyEntries(indexes, entries)
	if err != nil {
		t.Fatal(err)
	}
	if applied[1].Err == nil || applied[0].Err != nil {
		t.Errorf("results: %+v", applied)
	}
	if a, b := dump(t, one), dump(t, batched); a != b {
		t.Errorf("batched state differs:\n%s\n---\n%s", a, b)
	}
}

// A delivery whose attempt was recorded but not its outcome (crier
// stopped mid-send) is sent again and marked as possibly duplicated.
func TestResumeSendsWhatAStopCaughtInFlight(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := activateMinimal(t, e, "live")
	declare := OccurrenceID(id, "declare", 1)
	ds, _ := e.Read().DeliveriesOf(nil, declare)
	apply(t, e, &RecordOutcomes{Outcomes: []Outcome{{Delivery: ds[0].ID, State: state.DeliveryAttempted},
		{Delivery: ds[1].ID, State: state.DeliveryAttempted}, {Delivery: ds[1].ID, State: state.DeliverySent}}})
	apply(t, e, &ResumeDeliveries{})
	caught, _ := e.Read().Delivery(nil, ds[0].ID)
	sent, _ := e.Read().Delivery(nil, ds[1].ID)
	if caught.State != state.DeliveryPending || !caught.PossiblyDuplicated || sent.PossiblyDuplicated || sent.State != state.DeliverySent {
		t.Errorf("caught %+v\nsent %+v", caught, sent)
	}
	sendAll(t, e, declare)
	r, _ := e.Report(id)
	var md strings.Builder
	r.Markdown(&md)
	// This engine's record is in memory: the report names no head to verify.
	if !strings.Contains(md.String(), "## Possibly duplicated") || strings.Contains(md.String(), "crier audit verify") ||
		!strings.Contains(md.String(), "cannot be verified later") {
		t.Errorf("report:\n%s", md.String())
	}
}

// A command holding invalid UTF-8 (a service's error text, say) leaves the
// node that proposed it with the state every replay of the log gives.
func TestTheProposerAppliesWhatTheLogHolds(t *testing.T) {
	log := &MemoryLog{}
	e, _ := newEngine(t, log)
	id := activateMinimal(t, e, "live")
	declare := OccurrenceID(id, "declare", 1)
	ds, _ := e.Read().DeliveriesOf(nil, declare)
	apply(t, e, &RecordOutcomes{Outcomes: []Outcome{{Delivery: ds[0].ID, State: state.DeliveryFailed, Error: "550 mailbox \xff\xfe unknown"}}})
	replayed, _ := newEngine(t, log)
	if a, b := dump(t, e), dump(t, replayed); a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Errorf("the proposer's state differs from the log's at line %d:\n%s\n%s", i, al[i], bl[i])
				break
			}
		}
	}
}
