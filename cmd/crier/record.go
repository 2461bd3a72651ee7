package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/record"
)

// openRecord opens this node's record in the data directory and an engine
// on it: the state as it was when crier last stopped.
// With join, a node new to a running cluster asks it to add it.
func openRecord(ctx context.Context, cfg *config.Config, log *slog.Logger, join string) (*record.Node, *engine.Engine, error) {
	rc := record.Config{Dir: cfg.DataDir, Log: log}
	if cl := cfg.Cluster; cl != nil {
		rc.NodeID, rc.RaftAddr, rc.Secret, rc.Joining = cl.NodeID, cl.RaftAddr, cl.Secret.Reveal(), join != ""
		if t := cl.TLS; t != nil {
			rc.TLS = &record.TLSFiles{Cert: t.Cert, Key: t.Key, CA: t.CA}
		}
		for _, p := range cl.PeerList() {
			rc.Peers = append(rc.Peers, record.Peer{ID: p.ID, Addr: p.Addr})
		}
	}
	node, err := record.New(rc)
	if err != nil {
		return nil, nil, err
	}
	opening, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	opts := engine.Options{Log: node}
	opts.ListFiles, _ = servedDirectory(cfg)
	var eng *engine.Engine
	if node.Client() != nil { // a follower passes commands on to the leader
		opts.Forward = node.Forwarder(func() *engine.Engine { return eng }, rc.Secret)
	}
	if join != "" {
		go node.Join(opening, join, rc.Secret)
	}
	eng, err = engine.Open(opening, opts)
	if err != nil {
		node.Close()
		return nil, nil, err
	}
	return node, eng, nil
}

// linkSecret is the secret acknowledgement links are signed with: the
// configured one, or one crier made and keeps in the data directory, so
// that links already sent still work after a restart.
func linkSecret(cfg *config.Config) ([]byte, error) {
	if s := cfg.Server.LinkSecret.Reveal(); s != "" {
		return []byte(s), nil
	}
	path := filepath.Join(cfg.DataDir, "link-secret")
	secret, err := os.ReadFile(path)
	if err == nil && len(secret) >= 32 {
		return secret, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the acknowledgement links' secret: %w", err)
	}
	secret = make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, secret, 0o600); err != nil {
		return nil, fmt.Errorf("keeping the acknowledgement links' secret: %w", err)
	}
	return secret, nil
}

// clusterFlags puts crier serve's --node-id, --raft-addr and --join into
// the configuration's cluster section; the secret is the configuration's,
// or CRIER_CLUSTER_SECRET.
func clusterFlags(cfg *config.Config, nodeID, raftAddr, join string) error {
	if nodeID == "" && raftAddr == "" && join == "" {
		return reachable(cfg)
	}
	if cfg.Cluster == nil {
		cfg.Cluster = &config.Cluster{}
	}
	if cfg.Cluster.Secret == "" {
		cfg.Cluster.Secret = config.Secret(os.Getenv("CRIER_CLUSTER_SECRET"))
	}
	if nodeID != "" {
		cfg.Cluster.NodeID = nodeID
	}
	if raftAddr != "" {
		cfg.Cluster.RaftAddr = raftAddr
	}
	switch {
	case cfg.Cluster.NodeID == "" || cfg.Cluster.RaftAddr == "":
		return errors.New("a node of a cluster needs both --node-id and --raft-addr (or cluster.node_id and cluster.raft_addr)")
	case len(cfg.Cluster.Secret.Reveal()) < 16:
		return errors.New("a node of a cluster needs the cluster's secret: cluster.secret, or CRIER_CLUSTER_SECRET (at least 16 characters)")
	case strings.Contains(join, "://"):
		return fmt.Errorf("--join takes the raft_addr of a node of the cluster, host:port such as 10.20.0.11:8300, not %q", join)
	case join != "" && cfg.Server.LinkSecret == "":
		return errors.New("a node joining a cluster needs server.link_secret, the same as the other nodes': an acknowledgement link one node sends must open on the others")
	}
	return reachable(cfg)
}

// reachable checks that a node of a cluster names addresses the others
// can reach it at: they speak Raft and pass commands to its raft_addr, as
// given, and its listen address is the one it announces when it leads.
func reachable(cfg *config.Config) error {
	if cfg.Cluster == nil {
		return nil
	}
	for _, a := range []struct{ what, addr string }{{"server.listen", cfg.Server.Listen}, {"the Raft address", cfg.Cluster.RaftAddr}} {
		host, _, err := net.SplitHostPort(a.addr)
		if ip := net.ParseIP(host); err == nil && (host == "" || ip != nil && ip.IsUnspecified()) {
			return fmt.Errorf("%s %s: in a cluster the other nodes reach this node there, so name this node's own address, such as 10.20.0.11%s",
				a.what, a.addr, a.addr[strings.LastIndex(a.addr, ":"):])
		}
	}
	return nil
}
