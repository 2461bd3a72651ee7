package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
)

// activateIn records an activation of the smallest runbook in e and
// returns the record's head after it.
func activateIn(t *testing.T, e *engine.Engine) (index uint64, link string) {
	t.Helper()
	if _, err := e.Apply(context.Background(), &engine.Activate{Source: []byte(readTestdata(t, "minimal.good.yaml")),
		SourceName: "minimal.good.yaml", Mode: "exercise", Params: map[string]string{"venue": "Victoria Hall"}}); err != nil {
		t.Fatal(err)
	}
	h, err := e.Head()
	if err != nil {
		t.Fatal(err)
	}
	return h.Index, hex.EncodeToString(h.Link[:])
}

// crier audit verify --head finds a report's head in the record it came
// from, and says a head from elsewhere (a drill's, kept in memory) is not
// in a record nobody has touched, rather than that the record was
// rewritten; a record whose own command at the head's index has another
// link is said to have been rewritten.
func TestAuditVerifyHead(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	node, e, err := openRecord(context.Background(), cfg, slog.New(slog.DiscardHandler), "")
	if err != nil {
		t.Fatal(err)
	}
	index, head := activateIn(t, e)
	node.Close()
	drill, err := engine.Open(context.Background(), engine.Options{Clock: engine.NewVirtualClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	_, drillHead := activateIn(t, drill)
	other := strings.Repeat("ab", 32)

	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"the record's own head", []string{"--head", head}, exitOK,
			fmt.Sprintf("The head %s is command %d's link: the record up to there is as it was.", head, index)},
		{"the record's own head, with its index", []string{"--head", head, "--index", fmt.Sprint(index)}, exitOK,
			fmt.Sprintf("The head %s is command %d's link: the record up to there is as it was.", head, index)},
		{"a drill's head", []string{"--head", drillHead}, exitError,
			fmt.Sprintf("The head %s is not in this record: this record has no command with that head: it may be another record's, "+
				"such as a drill's, which is kept in memory, or another data directory's; or its command is older than the log kept here", drillHead)},
		{"a head past the record's end", []string{"--head", other, "--index", fmt.Sprint(index + 40)}, exitError,
			fmt.Sprintf("The head %s is not in this record: this record has no command %d with that head (it ends at command %d): "+
				"it may be another record's, such as a drill's, which is kept in memory, or another data directory's. "+
				"If it is this record's, the commands after %d have been cut off.", other, index+40, index, index)},
		{"another link at the head's index", []string{"--head", other, "--index", fmt.Sprint(index)}, exitError,
			fmt.Sprintf("The head %s is NOT in this record: its command %d has another link. Either the head is another record's "+
				"(a drill's, kept in memory, or another data directory's), or this record was changed "+
				"after that head was taken: check it against a head from this server's own reports.", other, index)},
	} {
		out, errOut, code := crier(t, append([]string{"audit", "verify", "--data-dir", dir}, c.args...)...)
		if code != c.code || !strings.Contains(out, "\n"+c.want) {
			t.Errorf("%s: exit %d, want %d\n%s%s\nwant a line:\n%s", c.name, code, c.code, out, errOut, c.want)
		}
		if c.code == exitError && strings.Contains(out, "rewritten") {
			t.Errorf("%s: an untouched record is called rewritten:\n%s", c.name, out)
		}
	}
	if _, errOut, code := crier(t, "audit", "verify", "--data-dir", dir, "--index", "3"); code != exitUsage || !strings.Contains(errOut, "give --head too") {
		t.Errorf("--index alone: exit %d %s", code, errOut)
	}
}
