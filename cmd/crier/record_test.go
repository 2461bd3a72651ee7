package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/crierhq/crier/server"
)

// What crier serve records outlives it: after a restart the activation is
// there; crier audit verify finds the record intact and the report's
// head in it; a snapshot saved while it runs restores into a fresh data
// directory that a new crier then serves.
func TestTheRecordOutlivesCrier(t *testing.T) {
	dir := t.TempDir()
	config := func(data string) string {
		return writeFile(t, dir, filepath.Base(data)+".yaml", "version: 1\ndata_dir: "+data+"\nserver:\n  listen: 127.0.0.1:0\n"+
			"runbooks: [../../examples]\nnotifiers:\n  outbox:\n    dir: "+dir+"/outbox\n")
	}
	first := config(dir + "/first")
	srv := startServe(t, first)
	t.Setenv("CRIER_TOKEN", srv.token)
	out, errOut, code := crier(t, "activate", "--server", srv.url, "--exercise", "--param", "warning_area=Riverside", "flood-warning")
	id := regexp.MustCompile(`a-\d+`).FindString(out)
	if code != exitOK || id == "" {
		t.Fatalf("activate: %d %s %s", code, out, errOut)
	}
	report, _, _ := crier(t, "report", "--server", srv.url, id)
	head := regexp.MustCompile("verify --head ([0-9a-f]{64})").FindStringSubmatch(report)
	if head == nil {
		t.Fatalf("the report has no record head:\n%s", report)
	}
	snapshot := filepath.Join(dir, "crier.snapshot")
	if out, errOut, code := crier(t, "snapshot", "save", "--server", srv.url, snapshot); code != exitOK {
		t.Fatalf("snapshot save: %d %s %s", code, out, errOut)
	}
	srv.stop()

	out, _, code = crier(t, "audit", "verify", "--config", first, "--head", head[1])
	if code != exitOK || !strings.Contains(out, "is intact") || !strings.Contains(out, "the record up to there is as it was") {
		t.Errorf("audit verify: %d\n%s", code, out)
	}
	srv = startServe(t, first)
	t.Setenv("CRIER_TOKEN", srv.token)
	if out, _, code := crier(t, "status", "--server", srv.url, id); code != exitOK || !strings.Contains(out, "Flood") {
		t.Errorf("after a restart: %d %s", code, out)
	}
	srv.stop()

	second := config(dir + "/second")
	if out, errOut, code := crier(t, "snapshot", "restore", "--config", second, snapshot); code != exitOK {
		t.Fatalf("snapshot restore: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := crier(t, "snapshot", "restore", "--config", second, snapshot); code != exitError || !strings.Contains(errOut, "already holds a record") {
		t.Errorf("a second restore into the same directory: %d %s", code, errOut)
	}
	srv = startServe(t, second)
	t.Setenv("CRIER_TOKEN", srv.token)
	req, _ := http.NewRequest("GET", srv.url+"/api/v1/activations/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+srv.token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the restored activation: %v %v", resp, err)
	}
	// The restored record goes on: a new activation has a new id, and the
	// chain, across the gap a restore leaves in the log, verifies.
	out, errOut, code = crier(t, "activate", "--server", srv.url, "--exercise", "--param", "warning_area=Mill Lane", "flood-warning")
	if next := regexp.MustCompile(`a-\d+`).FindString(out); code != exitOK || next == "" || next <= id {
		t.Errorf("activating after the restore: %d %s %s (the restored one was %s)", code, out, errOut, id)
	}
	srv.stop()
	if out, _, code := crier(t, "audit", "verify", "--config", second); code != exitOK || !strings.Contains(out, "is intact") {
		t.Errorf("audit verify after a restore: %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "second", "record", "raft.db")); err != nil {
		t.Error(err)
	}
}

// A node of a cluster must name addresses the others can reach.
func TestAClusterNodeNamesItsAddresses(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CRIER_CLUSTER_SECRET", "the-cluster-secret-0123456789")
	cfg := writeFile(t, dir, "crier.yaml", "version: 1\ndata_dir: "+dir+"/data\nserver:\n  listen: 0.0.0.0:8080\nrunbooks: [../../examples]\n")
	_, errOut, code := crier(t, "serve", "--config", cfg, "--node-id", "node-a", "--raft-addr", "10.20.0.11:8300")
	if code != exitUsage || !strings.Contains(errOut, "server.listen 0.0.0.0:8080: in a cluster the other nodes reach this node there") {
		t.Errorf("listening on every address: %d %s", code, errOut)
	}
	// A node joins through another's raft_addr, over the nodes' mutual
	// TLS, not through its web address.
	_, errOut, code = crier(t, "serve", "--config", cfg, "--node-id", "node-b", "--raft-addr", "10.20.0.12:8300", "--join", "http://10.20.0.11:8080")
	if code != exitUsage || !strings.Contains(errOut, "--join takes the raft_addr of a node of the cluster, host:port such as 10.20.0.11:8300") {
		t.Errorf("joining through a web address: %d %s", code, errOut)
	}
}

// A snapshot cut short on its way is not saved as if it were whole.
func TestASnapshotCutShortIsNotSaved(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", server.SnapshotSumHeader)
		w.Write([]byte("half a snapshot"))
		w.Header().Set(server.SnapshotSumHeader, "00") // the sum of what should have come
	}))
	defer srv.Close()
	t.Setenv("CRIER_TOKEN", "token")
	file := filepath.Join(t.TempDir(), "crier.snapshot")
	if _, errOut, code := crier(t, "snapshot", "save", "--server", srv.URL, file); code != exitError || !strings.Contains(errOut, "does not match") {
		t.Errorf("%d %s", code, errOut)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("the broken snapshot was saved")
	}
}
