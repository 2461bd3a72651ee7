package record

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crierhq/crier/engine"
)

// flip changes one byte of the first place in file where text appears.
func flip(t *testing.T, file, text string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(text))
	if i < 0 {
		t.Fatalf("%q is not in %s", text, file)
	}
	data[i+len(text)-1] ^= 1
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A record as crier left it verifies, and its head is the engine's; one
// byte changed in a command, or in the snapshot, is found and named.
func TestVerifyFindsAnEditedByte(t *testing.T) {
	dir := t.TempDir()
	n, e := open(t, dir, Config{})
	work(t, e)
	head, _ := e.Head()
	n.Close()
	v, err := Verify(dir)
	if err != nil || v.Broken != 0 || v.Commands != 4 || v.Head != head.Link || v.HeadIndex != head.Index {
		t.Fatalf("an untouched record: %+v, %v", v, err)
	}
	_, db, _ := Files(dir)
	flip(t, db, `"by":"duty"`) // the approval, in the log
	v, err = Verify(dir)
	if err != nil || v.Broken != head.Index || !strings.Contains(v.Problem, "does not match its own link") {
		t.Errorf("an edited approval: %+v, %v", v, err)
	}
	// crier does not start on it either.
	if n, err := New(Config{Dir: dir}); err != nil {
		t.Fatal(err)
	} else if _, err := engine.Open(context.Background(), engine.Options{Log: n}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("opened a damaged record: %v", err)
		n.Close()
	} else {
		n.Close()
	}

	dir = t.TempDir()
	n, e = open(t, dir, Config{})
	work(t, e)
	if err := n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	n.Close()
	states, _ := filepath.Glob(filepath.Join(dir, "record", "snapshots", "*", "state.bin"))
	if len(states) != 1 {
		t.Fatalf("snapshots: %v", states)
	}
	flip(t, states[0], "Flood warning")
	if v, err := Verify(dir); err != nil || v.Broken == 0 || !strings.Contains(v.Problem, "checksum") {
		t.Errorf("an edited snapshot: %+v, %v", v, err)
	}
}

// Commands proposed at once from many places, while the node forgets its
// head as a new leader does, keep the chain whole: none is refused into
// the log out of order.
func TestTheChainHoldsUnderLoad(t *testing.T) {
	dir := t.TempDir()
	n, e := open(t, dir, Config{})
	index, err := e.Apply(context.Background(), &engine.Activate{Source: []byte(runbook), SourceName: "flood.yaml", Mode: "live"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 50 {
				e.Apply(context.Background(), &engine.RecordDecision{Activation: engine.ActivationID(index), Decision: fmt.Sprint(w, i)})
				if i%10 == 0 {
					e.ForgetHead()
				}
			}
		})
	}
	wg.Wait()
	n.Close()
	if v, err := Verify(dir); err != nil || v.Broken != 0 || v.Commands != 801 {
		t.Errorf("%d commands checked; %s %v", v.Commands, v.Problem, err)
	}
}

// A head the record does not hold is not called a change to the record
// unless the record holds another command at the head's own index.
func TestFindHead(t *testing.T) {
	link := func(b byte) [32]byte { return [32]byte{b} }
	// Log entries 10 to 20 after a snapshot at command 12; entry 15 is
	// Raft's own.
	v := Verification{Snapshot: 12, First: 10, Last: 20, HeadIndex: 20, Links: map[[32]byte]uint64{}}
	for i := uint64(12); i <= 20; i++ {
		if i != 15 {
			v.Links[link(byte(i))] = i
		}
	}
	for _, c := range []struct {
		name  string
		link  [32]byte
		index uint64
		want  HeadFinding
		at    uint64
	}{
		{"its own head", link(17), 0, HeadFound, 17},
		{"its own head, with its index", link(17), 17, HeadFound, 17},
		{"another record's head", link(99), 0, HeadNotHere, 0},
		{"a head past the record's end", link(99), 25, HeadPastEnd, 25},
		{"a head where the record has no command", link(99), 15, HeadNotHere, 15},
		{"a head older than the log kept", link(99), 3, HeadTooOld, 3},
		{"a head where the record has another command", link(99), 18, HeadDiffers, 18},
		{"the snapshot's command, changed", link(99), 12, HeadDiffers, 12},
	} {
		if got, at := v.FindHead(c.link, c.index); got != c.want || at != c.at {
			t.Errorf("%s: FindHead = %v, %d; want %v, %d", c.name, got, at, c.want, c.at)
		}
	}

	// A drill's head, from a record kept in memory, is not in a record on
	// disk that nobody has touched.
	dir := t.TempDir()
	n, e := open(t, dir, Config{})
	work(t, e)
	n.Close()
	drill, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(start)})
	if err != nil {
		t.Fatal(err)
	}
	work(t, drill)
	head, _ := drill.Head()
	v, err = Verify(dir)
	if err != nil || v.Broken != 0 {
		t.Fatalf("%+v %v", v, err)
	}
	if got, _ := v.FindHead(head.Link, 0); got != HeadNotHere {
		t.Errorf("a drill's head: %v, want HeadNotHere", got)
	}
}
