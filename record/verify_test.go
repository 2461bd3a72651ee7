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
