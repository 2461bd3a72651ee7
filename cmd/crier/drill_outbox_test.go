package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crierhq/crier/notifiers"
)

// Each drill writes its deliveries to a file of its own in the outbox,
// named for the runbook and when it started, and says which: every
// drill's activation has the same id, so a file per activation would mix
// one drill's deliveries with the last one's.
func TestEachDrillHasItsOwnOutboxFile(t *testing.T) {
	outbox := t.TempDir()
	runbook := "../../runbooks/testdata/plan.good.yaml"
	first := filepath.Join(outbox, "drill-plan-check-20261122T100000Z.jsonl")
	second := filepath.Join(outbox, "drill-plan-check-20261122T100000Z-2.jsonl") // the same second, in the tests' clock
	for _, file := range []string{first, second} {
		out, errOut, code := crier(t, "drill", "--outbox", outbox, "--horizon", "2h", runbook)
		if code != exitOK {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		for _, want := range []string{
			"Writes to the outbox file " + file + ", sending nothing; through real services it could reach:\n",
			"\nDeliveries are in " + file + ".\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("no line %q in:\n%s", want, out)
			}
		}
		if got := deliveriesIn(t, file); len(got) != 5 {
			t.Errorf("%s holds %d deliveries, want the drill's 5", file, len(got))
		}
	}
	files, _ := os.ReadDir(outbox)
	if len(files) != 2 {
		t.Errorf("the outbox holds %d files, want one per drill", len(files))
	}

	out, _, code := crier(t, "drill", "--json", "--outbox", outbox, "--horizon", "2h", runbook)
	var got struct{ Outbox string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != exitOK {
		t.Fatalf("exit %d: %v", code, err)
	}
	if want := filepath.Join(outbox, "drill-plan-check-20261122T100000Z-3.jsonl"); got.Outbox != want {
		t.Errorf("--json names the outbox file %q, want %q", got.Outbox, want)
	}
}

func deliveriesIn(t *testing.T, file string) []notifiers.OutboxEntry {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []notifiers.OutboxEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e notifiers.OutboxEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, e)
	}
	return out
}
