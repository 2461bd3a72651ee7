package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/crierhq/crier/runbooks"
)

// crier pack writes one HTML file that needs nothing else: every contact
// of the runbook is in it, and its plan from the start given.
func TestPackIsSelfContained(t *testing.T) {
	file := "../../examples/major-incident-community-reassurance.yaml"
	rb, err := runbooks.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "pack.html")
	stdout, stderr, code := crier(t, "pack", "--start", "2026-03-28T09:00", "--exercise", "-o", out, file)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	pack := string(data)
	for _, outside := range []string{`src="http`, "<link", "<script", "@import"} {
		if strings.Contains(pack, outside) {
			t.Errorf("the pack refers outside itself: %s", outside)
		}
	}
	for _, u := range regexp.MustCompile(`url\(([^)]*)\)`).FindAllStringSubmatch(pack, -1) {
		if !strings.HasPrefix(u[1], "#") { // a pattern of its own, as the chart's hatching
			t.Errorf("the pack refers outside itself: url(%s)", u[1])
		}
	}
	if !strings.Contains(pack, "<style>") || !strings.Contains(pack, "@page{size:A4") {
		t.Error("the pack has no style of its own for A4")
	}
	for _, sh := range rb.Stakeholders {
		if !strings.Contains(pack, sh.Name) {
			t.Errorf("the pack lacks %s", sh.Name)
		}
		if sh.Phone != "" && !strings.Contains(pack, strings.ReplaceAll(sh.Phone, "+", "&#43;")) {
			t.Errorf("the pack lacks %s's phone %s", sh.ID, sh.Phone)
		}
		for _, e := range sh.Email {
			local, domain, _ := strings.Cut(e.Name, "@")
			if !strings.Contains(pack, `href="mailto:`+e.Name+`">`+local+`<wbr>@`+domain+`</a>`) {
				t.Errorf("the pack lacks %s's email %s", sh.ID, e.Name)
			}
		}
		if sh.Slack != "" && !strings.Contains(pack, sh.Slack) {
			t.Errorf("the pack lacks %s's Slack id %s", sh.ID, sh.Slack)
		}
	}
	for _, want := range []string{"Plan from Sat 28 Mar 2026 09:00 GMT, as an exercise", "<td>Sat 28 Mar 09:00<br>", "Scenario inject"} {
		if !strings.Contains(pack, want) {
			t.Errorf("the pack lacks %q", want)
		}
	}
	if regexp.MustCompile(`(?i)<form|/ui/`).MatchString(pack) {
		t.Error("the pack has the web app's forms or links")
	}
}

// A runbook that does not load gives the errors crier validate gives, with
// their lines; a start that is not a time is a usage error.
func TestPackRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(readTestdata(t, "minimal.good.yaml"), "title: Smallest", "titel: Smallest", 1))
	out := filepath.Join(dir, "pack.html")
	_, stderr, code := crier(t, "pack", "-o", out, bad)
	if code != exitError || !strings.Contains(stderr, bad+`:3:1: error: unknown field "titel" in runbook; did you mean "title"?`) {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a pack was written for a runbook that does not load")
	}
	good := writeFile(t, dir, "good.yaml", readTestdata(t, "minimal.good.yaml"))
	if _, stderr, code := crier(t, "pack", "--start", "tomorrow", good); code != exitUsage || !strings.Contains(stderr, `crier pack: --start "tomorrow" is not a time like 2026-03-28T09:00`) {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if _, stderr, code := crier(t, "pack", filepath.Join(dir, "missing.yaml")); code != exitUsage || !strings.Contains(stderr, "missing.yaml: no such file") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if _, stderr, code := crier(t, "pack", "../../examples/crier.yaml"); code != exitUsage ||
		stderr != "crier pack: ../../examples/crier.yaml is a crier configuration, not a runbook: name a runbook file to pack\n" {
		t.Errorf("packing the configuration: exit %d\n%s", code, stderr)
	}
	if stdout, _, code := crier(t, "pack", good); code != exitOK || !strings.HasPrefix(stdout, "<!DOCTYPE html>") {
		t.Errorf("to standard output: exit %d\n%.200s", code, stdout)
	}
}
