// Package record keeps crier's record — the engine's commands — on disk
// and, across a cluster, on every node, through hashicorp/raft, as Nomad
// and Consul keep theirs over go-memdb. A single node is a cluster of one
// that bootstraps itself. The log and Raft's own state are in a bbolt
// file (raft-boltdb), snapshots in files beside it; the FSM is the
// engine's, applying entries to go-memdb, in batches when Raft hands
// many over at once.
package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Peer is another node of the cluster.
type Peer struct {
	ID, Addr string
}

// Config says where a node keeps its record and how it finds the others.
type Config struct {
	Dir      string // the data directory's record/ is made here
	NodeID   string // "crier" for a single node
	RaftAddr string // host:port for the other nodes; "" for a single node
	Peers    []Peer // the other nodes, when they are known in advance
	Secret   string // shared by the nodes: each proves it to the others
	// TLS is the node's certificate files (cluster.tls); when nil, the
	// nodes' certificates are made from the secret.
	TLS *TLSFiles
	// Joining: the node joins a running cluster (crier serve --join)
	// rather than starting one; the leader adds it.
	Joining bool
	Log     *slog.Logger
	// SnapshotEvery is how many commands go between snapshots (Raft's
	// default, 8192, when 0); the log before a snapshot is then trimmed
	// to its last TrailingLogs entries.
	SnapshotEvery uint64
	TrailingLogs  uint64
	// SnapshotCheck is how often the node looks whether SnapshotEvery
	// commands have gone by (5s when 0, as Consul does): it bounds what a
	// restart replays.
	SnapshotCheck time.Duration
}

// Node is one node's copy of the record. It is the engine's Log.
type Node struct {
	cfg       Config
	raft      *raft.Raft
	store     *raftboltdb.BoltStore
	snapshots *raft.FileSnapshotStore
	transport raft.Transport
	layer     *secretLayer // nil for a single node
	fsm       *fsm
	log       *slog.Logger
	ready     atomic.Uint64 // the term whose entries before it this node has applied, leading
}

// Files names the parts of a node's record in a data directory.
func Files(dataDir string) (dir, db, snapshots string) {
	dir = filepath.Join(dataDir, "record")
	return dir, filepath.Join(dir, "raft.db"), dir // the snapshot store makes snapshots/ itself
}

// New opens a node's stores; Open, from engine.Open, starts it.
func New(cfg Config) (*Node, error) {
	if cfg.NodeID == "" {
		cfg.NodeID = "crier"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dir, db, snaps := Files(cfg.Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("the record's directory: %w", err)
	}
	store, err := raftboltdb.New(raftboltdb.Options{Path: db, BoltOptions: boltOptions()})
	if err != nil {
		return nil, fmt.Errorf("opening the record %s: %w", db, lockedHint(err))
	}
	snapshots, err := raft.NewFileSnapshotStoreWithLogger(snaps, 2, hclogger(cfg.Log, cfg.RaftAddr == ""))
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("opening the record's snapshots in %s: %w", snaps, err)
	}
	n := &Node{cfg: cfg, store: store, snapshots: snapshots, log: cfg.Log}
	if cfg.RaftAddr == "" {
		_, n.transport = raft.NewInmemTransport(raft.ServerAddress(cfg.NodeID))
	} else {
		if len(cfg.Secret) < 16 {
			store.Close()
			return nil, errors.New("a cluster needs its secret (cluster.secret, at least 16 characters)")
		}
		tlsConf, err := nodeTLS(cfg.NodeID, cfg.Secret, cfg.TLS, time.Now())
		if err != nil {
			store.Close()
			return nil, err
		}
		layer, err := newSecretLayer(cfg.RaftAddr, key(cfg.Secret, "raft"), tlsConf)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("listening for the other nodes on %s: %w", cfg.RaftAddr, err)
		}
		n.layer = layer
		n.transport = raft.NewNetworkTransportWithLogger(layer, 3, 10*time.Second, hclogger(cfg.Log, false))
	}
	return n, nil
}

// Open implements engine.Log: it starts Raft with the engine as its FSM —
// the latest snapshot restored, the log after it replayed — bootstrapping
// the cluster the first time, and returns once this node has caught up
// with a leader (for a single node: once it leads).
func (n *Node) Open(ctx context.Context, e *engine.Engine) error {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.cfg.NodeID)
	rc.Logger = hclogger(n.log, n.cfg.RaftAddr == "")
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = 512
	if n.cfg.SnapshotEvery > 0 {
		rc.SnapshotThreshold = n.cfg.SnapshotEvery
	}
	if n.cfg.TrailingLogs > 0 {
		rc.TrailingLogs = n.cfg.TrailingLogs
	}
	rc.SnapshotInterval = 5 * time.Second
	if n.cfg.SnapshotCheck > 0 {
		rc.SnapshotInterval = n.cfg.SnapshotCheck
	}
	if n.cfg.RaftAddr == "" { // alone: no one to wait for
		rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = 100*time.Millisecond, 100*time.Millisecond, 100*time.Millisecond
	}
	existing, err := raft.HasExistingState(n.store, n.store, n.snapshots)
	if err != nil {
		return fmt.Errorf("reading the record: %w", err)
	}
	if !existing && !n.cfg.Joining {
		servers := []raft.Server{{ID: rc.LocalID, Address: n.transport.LocalAddr()}}
		for _, p := range n.cfg.Peers {
			servers = append(servers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr)})
		}
		if err := raft.BootstrapCluster(rc, n.store, n.store, n.snapshots, n.transport, raft.Configuration{Servers: servers}); err != nil {
			return fmt.Errorf("starting a new record: %w", err)
		}
	}
	n.fsm = &fsm{engine: e, log: n.log}
	r, err := raft.NewRaft(rc, n.fsm, n.store, n.store, n.snapshots, n.transport)
	if err != nil {
		return fmt.Errorf("opening the record: %w", err)
	}
	n.raft = r
	if err := n.catchUp(ctx); err != nil {
		return err
	}
	if damaged := n.fsm.damaged.Load(); damaged != nil {
		return fmt.Errorf("the record is damaged (crier audit verify says where): %w", *damaged)
	}
	return nil
}

// catchUp waits for a leader and, on the leader, for every entry the log
// holds to be applied. A follower returns as soon as a leader is known,
// and catches up as it serves.
func (n *Node) catchUp(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if addr, _ := n.raft.LeaderWithID(); addr != "" {
			if n.raft.State() != raft.Leader {
				return nil
			}
			term := n.raft.CurrentTerm()
			if err := n.raft.Barrier(0).Error(); err != nil {
				return leadership(err)
			}
			n.ready.Store(term)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no leader yet: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// Append implements engine.Log. The first command of each term the node
// leads waits for the node to have applied everything before the term,
// and is then sent back to be sealed after the head that gives: a head
// cached from an earlier term may be one the log has passed.
func (n *Node) Append(_ context.Context, entry []byte) (engine.Future, error) {
	if n.raft.State() != raft.Leader {
		addr, id := n.raft.LeaderWithID()
		return nil, fmt.Errorf("%w (the leader is %s at %s)", engine.ErrNotLeader, id, addr)
	}
	if term := n.raft.CurrentTerm(); n.ready.Load() != term {
		if err := n.raft.Barrier(0).Error(); err != nil {
			return nil, leadership(err)
		}
		n.ready.Store(term)
		return nil, engine.ErrStaleHead
	}
	return future{n.raft.Apply(entry, 0)}, nil
}

// leadership turns Raft's errors about the lead into crier's words.
func leadership(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w (the lead is changing)", engine.ErrNotLeader)
	case errors.Is(err, raft.ErrLeadershipLost):
		return errors.New("the cluster's leader changed while this was being recorded: check whether it was before doing it again")
	case errors.Is(err, raft.ErrRaftShutdown):
		return errors.New("crier is stopping")
	}
	return err
}

// future waits for Raft to apply an entry.
type future struct{ f raft.ApplyFuture }

func (f future) Wait(context.Context) (engine.Applied, error) {
	if err := f.f.Error(); err != nil {
		return engine.Applied{}, leadership(err)
	}
	r, ok := f.f.Response().(response)
	if !ok {
		return engine.Applied{}, fmt.Errorf("the record answered %T", f.f.Response())
	}
	return r.applied, r.err
}

// Member is one node of the cluster as Raft knows it.
type Member struct {
	ID      string `json:"id"`
	Addr    string `json:"raft_addr"`
	Voter   bool   `json:"voter"`
	Leader  bool   `json:"leader"`
	ThisOne bool   `json:"this_node"`
}

// Status is the cluster as this node sees it.
type Status struct {
	Node    string   `json:"node"`
	Leads   bool     `json:"leads"`
	Leader  string   `json:"leader"`
	Applied uint64   `json:"applied_index"`
	Members []Member `json:"members"`
}

// Status says who is in the cluster and who leads it.
func (n *Node) Status() (Status, error) {
	leads, leader, _ := n.Leader()
	st := Status{Node: n.cfg.NodeID, Leads: leads, Leader: leader, Applied: n.raft.AppliedIndex()}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return st, err
	}
	for _, s := range f.Configuration().Servers {
		st.Members = append(st.Members, Member{ID: string(s.ID), Addr: string(s.Address), Voter: s.Suffrage == raft.Voter,
			Leader: string(s.ID) == leader, ThisOne: string(s.ID) == n.cfg.NodeID})
	}
	return st, nil
}

// NotLeading is engine.ErrNotLeader with where the leader is: its
// raft_addr, "" when none is known.
type NotLeading struct{ Leader string }

func (e *NotLeading) Error() string { return engine.ErrNotLeader.Error() }
func (e *NotLeading) Unwrap() error { return engine.ErrNotLeader }

// Add makes a node a voting member of the cluster: the leader's side of
// crier serve --join. On a follower the error is engine.ErrNotLeader.
func (n *Node) Add(id, addr string) error {
	if n.raft.State() != raft.Leader {
		addr, _ := n.raft.LeaderWithID()
		return &NotLeading{Leader: string(addr)}
	}
	return n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, 30*time.Second).Error()
}

// RaftAddr is where this node listens for the others.
func (n *Node) RaftAddr() string { return string(n.transport.LocalAddr()) }

// Web is where the other nodes' HTTP requests to this one arrive, over
// mutual TLS on raft_addr (an http.Server serves it); nil for a single node.
func (n *Node) Web() net.Listener {
	if n.layer == nil {
		return nil
	}
	return webListener{n.layer}
}

// Client is an HTTP client to the other nodes (https://their raft_addr),
// over mutual TLS; nil for a single node.
func (n *Node) Client() *http.Client {
	if n.layer == nil {
		return nil
	}
	return n.layer.client()
}

// ID is this node's id.
func (n *Node) ID() string { return n.cfg.NodeID }

// Leader reports whether this node leads, and the leader's id and address.
func (n *Node) Leader() (leads bool, id, addr string) {
	a, i := n.raft.LeaderWithID()
	return n.raft.State() == raft.Leader, string(i), string(a)
}

// LeaderCh tells of this node gaining (true) and losing (false) the lead.
func (n *Node) LeaderCh() <-chan bool { return n.raft.LeaderCh() }

// Barrier returns once this node, leading, has applied every entry before
// now: what a new leader waits for before taking up the work.
func (n *Node) Barrier() error { return n.raft.Barrier(0).Error() }

// Snapshotted is the index of the latest snapshot kept, or 0.
func (n *Node) Snapshotted() uint64 {
	list, err := n.snapshots.List()
	if err != nil || len(list) == 0 {
		return 0
	}
	return list[0].Index
}

// Snapshot has Raft take a snapshot now (and trim the log behind it).
func (n *Node) Snapshot() error { return n.raft.Snapshot().Error() }

// Restore replaces the whole state with a snapshot's (crier snapshot
// restore), on the leader, which then sends it to any followers: for
// recovering from a disaster into a fresh cluster, never in normal running.
// index is the snapshot's head: the log goes on after it, so that ids made
// from log indexes stay new.
func (n *Node) Restore(r io.Reader, size int64, index uint64) error {
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Size: size, Index: index}
	return n.raft.Restore(meta, r, time.Minute)
}

// Close stops the node and closes its files; what was applied is kept.
// If it led, the others elect a new leader among themselves.
func (n *Node) Close() error {
	var errs []error
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
	}
	if c, ok := n.transport.(interface{ Close() error }); ok {
		errs = append(errs, c.Close())
	}
	errs = append(errs, n.store.Close())
	return errors.Join(errs...)
}
