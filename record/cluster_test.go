package record

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/hashicorp/raft"
)

// freeAddrs finds n loopback addresses no one listens on.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ln.Addr().String())
		ln.Close()
	}
	return out
}

type member struct {
	node   *Node
	engine *engine.Engine
}

// startCluster starts three nodes that know each other, each opening in
// its own goroutine (a node waits for a leader, which needs the others).
func startCluster(t *testing.T, secret string) []*member {
	t.Helper()
	return startClusterWith(t, secret, func() *TLSFiles { return nil })
}

// startClusterWith starts three nodes, each with the certificate files
// files gives (nil: made from the secret).
func startClusterWith(t *testing.T, secret string, files func() *TLSFiles) []*member {
	t.Helper()
	addrs := freeAddrs(t, 3)
	ms := make([]*member, 3)
	errs := make(chan error, 3)
	for i := range 3 {
		cfg := Config{Dir: t.TempDir(), NodeID: fmt.Sprintf("node-%d", i), RaftAddr: addrs[i], Secret: secret, TLS: files()}
		for j := range 3 {
			if j != i {
				cfg.Peers = append(cfg.Peers, Peer{ID: fmt.Sprintf("node-%d", j), Addr: addrs[j]})
			}
		}
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ms[i] = &member{node: n}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			e, err := engine.Open(ctx, engine.Options{Log: n, Clock: engine.NewVirtualClock(start)})
			ms[i].engine = e
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, m := range ms {
			m.node.Close()
		}
	})
	return ms
}

func leaderOf(t *testing.T, ms []*member) *member {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, m := range ms {
			if leads, _, _ := m.node.Leader(); leads {
				return m
			}
		}
	}
	t.Fatal("no leader")
	return nil
}

// waitSame waits until every member's state is the leader's.
func waitSame(t *testing.T, leader *member, ms []*member) {
	t.Helper()
	want := dump(t, leader.engine)
	for _, m := range ms {
		for deadline := time.Now().Add(10 * time.Second); dump(t, m.engine) != want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not catch up", m.node.ID())
			}
		}
	}
}

// Three nodes keep the same record; when the leader stops, the other two
// elect a new one, which goes on where it left off; a follower's command
// is refused as not the leader's (crier serve passes it on).
func TestAClusterOutlivesItsLeader(t *testing.T) {
	ms := startCluster(t, "a-cluster-secret-0123456789")
	leader := leaderOf(t, ms)
	work(t, leader.engine)
	waitSame(t, leader, ms)
	for _, m := range ms {
		if m != leader {
			if _, err := m.engine.ApplyHere(context.Background(), &engine.RecordDecision{Activation: "a-000003", Decision: "x"}); !errors.Is(err, engine.ErrNotLeader) {
				t.Errorf("%s, a follower, applied a command itself", m.node.ID())
			}
			break
		}
	}
	leader.node.Close()
	var rest []*member
	for _, m := range ms {
		if m != leader {
			rest = append(rest, m)
		}
	}
	next := leaderOf(t, rest)
	if err := next.node.Barrier(); err != nil { // as crier serve does on taking the lead
		t.Fatal(err)
	}
	next.engine.ForgetHead()
	warn := work(t, next.engine)
	waitSame(t, next, rest)
	if m, _ := rest[0].engine.Read().Message(nil, warn); m == nil || m.State != "dispatching" {
		t.Errorf("after the leader stopped: %+v", m)
	}
}

// A node without the cluster's secret cannot join it: its certificate,
// made from another secret, is refused at the TLS handshake, whichever
// end checks first.
func TestTheClusterKeepsStrangersOut(t *testing.T) {
	secret := "a-cluster-secret-0123456789"
	addr := freeAddrs(t, 1)[0]
	layer := layerFor(t, addr, secret, nil)
	stranger := dialler(t, "another-secret-0123456789", nil)
	if _, err := stranger.Dial(raft.ServerAddress(addr), time.Second); err == nil || !isTLS(err) {
		t.Errorf("a node with another secret: %v, want a refusal at the TLS handshake", err)
	}
	// One that does not check the listener's certificate is refused by it.
	careless := dialler(t, "another-secret-0123456789", nil)
	careless.tls.VerifyConnection = nil
	if _, err := careless.Dial(raft.ServerAddress(addr), time.Second); err == nil || !isTLS(err) {
		t.Errorf("a node with another secret, not checking: %v, want a refusal at the TLS handshake", err)
	}
	conn, err := dialler(t, secret, nil).Dial(raft.ServerAddress(addr), time.Second)
	if err != nil {
		t.Fatalf("a node with the secret: %v", err)
	}
	conn.Close()
	// HTTP between nodes is the same mutual TLS.
	resp, err := dialler(t, "another-secret-0123456789", nil).client().Get("https://" + addr + "/internal/v1/apply")
	if err == nil {
		resp.Body.Close()
		t.Error("an HTTP request from a node with another secret got through")
	}
	layer.Close()
}

// With certificate files (cluster.tls), a node needs one the cluster's CA
// signed: one made from the secret alone, without it, is refused.
func TestCertificateFilesMakeTheCluster(t *testing.T) {
	secret := "a-cluster-secret-0123456789"
	files := certificateFiles(t, "an-operators-own-ca-0123456789")
	addr := freeAddrs(t, 1)[0]
	layerFor(t, addr, secret, files)
	conn, err := dialler(t, secret, files).Dial(raft.ServerAddress(addr), time.Second)
	if err != nil {
		t.Fatalf("a node with the files: %v", err)
	}
	conn.Close()
	if _, err := dialler(t, secret, nil).Dial(raft.ServerAddress(addr), time.Second); err == nil || !isTLS(err) {
		t.Errorf("a node with the secret but not the files: %v, want a refusal at the TLS handshake", err)
	}
}

// Three nodes on an operator's own certificates keep one record.
func TestAClusterOnItsOwnCertificates(t *testing.T) {
	ms := startClusterWith(t, "a-cluster-secret-0123456789", func() *TLSFiles {
		return certificateFiles(t, "an-operators-own-ca-0123456789")
	})
	leader := leaderOf(t, ms)
	work(t, leader.engine)
	waitSame(t, leader, ms)
}

func layerFor(t *testing.T, addr, secret string, files *TLSFiles) *secretLayer {
	t.Helper()
	conf, err := nodeTLS("node-0", secret, files, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	l, err := newSecretLayer(addr, key(secret, "raft"), conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func dialler(t *testing.T, secret string, files *TLSFiles) *secretLayer {
	t.Helper()
	conf, err := nodeTLS("node-1", secret, files, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &secretLayer{secret: key(secret, "raft"), tls: conf}
}

// isTLS reports whether err is TLS refusing: a certificate not the
// cluster's, or an alert from the other end.
func isTLS(err error) bool {
	var alert tls.AlertError
	return errors.As(err, &alert) || strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "not the cluster's")
}

// certificateFiles writes a CA and a node certificate signed by it, as an
// operator's own PKI would, made here from caSeed.
func certificateFiles(t *testing.T, caSeed string) *TLSFiles {
	t.Helper()
	ca, caKey, err := derivedCA(caSeed)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := nodeCertificate("node", ca, caKey, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := &TLSFiles{Cert: filepath.Join(dir, "node.pem"), Key: filepath.Join(dir, "node-key.pem"), CA: filepath.Join(dir, "ca.pem")}
	for file, block := range map[string]*pem.Block{
		files.Cert: {Type: "CERTIFICATE", Bytes: cert.Certificate[0]},
		files.Key:  {Type: "PRIVATE KEY", Bytes: keyDER},
		files.CA:   {Type: "CERTIFICATE", Bytes: ca.Raw},
	} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// The lead goes from a to b and back; a's first command on taking it back
// comes before anything else a does as leader. The chain stays whole.
func TestTheChainSurvivesTheLeadGoingAndComingBack(t *testing.T) {
	ms := startCluster(t, "a-cluster-secret-0123456789")
	a := leaderOf(t, ms)
	warn := work(t, a.engine) // a caches the head it sealed after
	activation, _, _ := strings.Cut(warn, "/")
	b := ms[0]
	if b == a {
		b = ms[1]
	}
	transfer := func(from, to *member) {
		t.Helper()
		if err := from.node.raft.LeadershipTransferToServer(raft.ServerID(to.node.ID()), raft.ServerAddress(to.node.RaftAddr())).Error(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if leads, _, _ := to.node.Leader(); leads {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not take the lead", to.node.ID())
			}
		}
	}
	transfer(a, b)
	work(t, b.engine)
	transfer(b, a)
	if _, err := a.engine.ApplyHere(context.Background(), &engine.RecordDecision{Activation: activation, Decision: "Open the rest centre"}); err != nil {
		t.Fatal(err)
	}
	waitSame(t, a, ms)
	dir := a.node.cfg.Dir
	for _, m := range ms {
		m.node.Close()
	}
	if v, err := Verify(dir); err != nil || v.Broken != 0 {
		t.Errorf("an honest record fails verify: %s %v", v.Problem, err)
	}
}
