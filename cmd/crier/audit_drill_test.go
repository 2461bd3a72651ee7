package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crierhq/crier/config"
)

// Review 12: an instant drill's report (crier drill --json) gives its
// record's head with its index, marked in_memory. Given both, crier audit
// verify on a real record that nobody has touched, and that is longer
// than the drill's, says "the record has been rewritten since that head
// was taken (unless the head is another record's)": a tamper alarm on an
// untouched record, which the issue "A record that stands up" rules out.
func TestAuditVerifyNeverCallsAnUntouchedRecordRewrittenForADrillsHead(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	node, e, err := openRecord(context.Background(), cfg, slog.New(slog.DiscardHandler), "")
	if err != nil {
		t.Fatal(err)
	}
	for range 60 { // a record longer than a small drill's
		activateIn(t, e)
	}
	node.Close()

	work := t.TempDir()
	wd, _ := os.Getwd()
	runbook := filepath.Join(wd, "..", "..", "runbooks", "testdata", "minimal.good.yaml")
	t.Chdir(work) // the drill writes its outbox here
	out, errOut, code := crier(t, "drill", "--json", "--param", "venue=Victoria Hall", runbook)
	if code != exitOK {
		t.Fatalf("drill: exit %d\n%s", code, errOut)
	}
	var drill struct {
		Report struct {
			Record struct {
				InMemory bool   `json:"in_memory"`
				Index    uint64 `json:"index"`
				Head     string `json:"head"`
			} `json:"record"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &drill); err != nil || drill.Report.Record.Head == "" {
		t.Fatalf("drill --json: %v\n%.500s", err, out)
	}
	rec := drill.Report.Record
	verify, errOut, _ := crier(t, "audit", "verify", "--data-dir", cfg.DataDir, "--head", rec.Head, "--index", fmt.Sprint(rec.Index))
	if strings.Contains(verify, "rewritten") {
		t.Errorf("an untouched record is called rewritten for a drill's head (in_memory %v, index %d):\n%s%s", rec.InMemory, rec.Index, verify, errOut)
	}
}
