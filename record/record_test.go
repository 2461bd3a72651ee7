package record

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
)

var start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

const runbook = `version: 1
id: flood
title: Flood warning
stakeholders:
  - {id: duty, name: Duty officer, roles: [approver], email: duty@northbridge.gov.uk}
  - {id: head, name: Head of comms, roles: [approver], email: head@northbridge.gov.uk}
channels:
  - {id: partners, type: email, to: [role:approver]}
steps:
  - id: warn
    title: Warn partners
    at: 0s
    notify: {to: [partners], subject: Flood warning, body: The river is rising., approval: {approvers: [role:approver]}}
`

// open starts a node on dir with an engine on it.
func open(t *testing.T, dir string, cfg Config) (*Node, *engine.Engine) {
	t.Helper()
	cfg.Dir = dir
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := engine.Open(ctx, engine.Options{Log: n, Clock: engine.NewVirtualClock(start)})
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	return n, e
}

func dump(t *testing.T, e *engine.Engine) string {
	t.Helper()
	d, err := e.Read().Dump()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(d)
	return string(data)
}

// work activates the runbook and approves its warning, with a refused
// command among them.
func work(t *testing.T, e *engine.Engine) string {
	t.Helper()
	ctx := context.Background()
	index, err := e.Apply(ctx, &engine.Activate{Source: []byte(runbook), SourceName: "flood.yaml", Mode: "live"})
	if err != nil {
		t.Fatal(err)
	}
	id := engine.ActivationID(index)
	warn := engine.OccurrenceID(id, "warn", 1)
	for _, c := range []engine.Command{&engine.Fire{Occurrence: warn}, &engine.Approve{Message: warn, By: "nobody"}, &engine.Approve{Message: warn, By: "duty"}} {
		e.Apply(ctx, c)
	}
	return warn
}

// What was applied is there after a restart, from the log alone and from
// a snapshot and the log after it.
func TestARestartLosesNothing(t *testing.T) {
	for _, cfg := range []Config{{}, {SnapshotEvery: 2, TrailingLogs: 1}} {
		dir := t.TempDir()
		n, e := open(t, dir, cfg)
		for range 3 {
			work(t, e)
		}
		if cfg.SnapshotEvery > 0 {
			if err := n.Snapshot(); err != nil {
				t.Fatal(err)
			}
			work(t, e) // after the snapshot
		}
		before, head := dump(t, e), mustHead(t, e)
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		n, e = open(t, dir, cfg)
		if after := dump(t, e); after != before {
			t.Errorf("snapshot every %d: the state after a restart differs:\n%s\n---\n%s", cfg.SnapshotEvery, before, after)
		}
		if h := mustHead(t, e); h != head {
			t.Errorf("chain head %x, was %x", h, head)
		}
		warn := work(t, e) // and it goes on
		if m, _ := e.Read().Message(nil, warn); m == nil || m.State != "dispatching" {
			t.Errorf("after the restart: %+v", m)
		}
		n.Close()
	}
}

func mustHead(t *testing.T, e *engine.Engine) [32]byte {
	t.Helper()
	h, err := e.Head()
	if err != nil {
		t.Fatal(err)
	}
	return h.Link
}

// A second crier on the same data directory is told so, not left hanging.
func TestOneNodePerDirectory(t *testing.T) {
	dir := t.TempDir()
	n, _ := open(t, dir, Config{})
	defer n.Close()
	if _, err := New(Config{Dir: dir}); err == nil {
		t.Error("a second node opened the same record")
	}
	if _, err := os.Stat(dir + "/record/raft.db"); err != nil {
		t.Error(err)
	}
}
