package runbooks

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// BenchmarkParse measures loading a runbook against the floor under it:
// go-yaml parsing the same bytes into a node tree, timed in the same run so
// that the ratio means something on a shared, noisy machine. The x-yaml
// metric is Parse's time per file divided by go-yaml's.
func BenchmarkParse(b *testing.B) {
	major, err := os.ReadFile("../examples/major-incident-community-reassurance.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"major-incident", major},
		{"1000-steps", thousandSteps()},
		{"12000-stakeholders", manyStakeholders()},
		{"alias-bomb", aliasBomb()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			yamlOnly := timePer(func() {
				var n yaml.Node
				_ = yaml.Unmarshal(tc.data, &n)
			})
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.data)))
			start := time.Now()
			for b.Loop() {
				_, _ = Parse("bench.yaml", tc.data)
			}
			per := time.Since(start) / time.Duration(max(b.N, 1))
			b.ReportMetric(float64(per)/float64(yamlOnly), "x-yaml")
		})
	}
}

// timePer is f's mean time over enough runs to take about 200ms.
func timePer(f func()) time.Duration {
	n := 1
	for {
		start := time.Now()
		for range n {
			f()
		}
		if el := time.Since(start); el > 200*time.Millisecond || n > 1<<20 {
			return el / time.Duration(n)
		}
		n *= 2
	}
}

func thousandSteps() []byte {
	var b strings.Builder
	b.WriteString("version: 1\nid: big\ntitle: Big\nparams: [{name: venue}]\n")
	b.WriteString("stakeholders: [{id: a, name: A, roles: [approver], email: a@northbridge.gov.uk}]\n")
	b.WriteString("channels: [{id: mail, type: email, to: [a]}]\nsteps:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "  - id: s%d\n    title: Step %d\n    at: %dm\n    notify:\n      to: [mail]\n      subject: \"Update {{ .Params.venue }}\"\n      body: |\n        Update %d for {{ .Params.venue }} at {{ date \"15:04\" .Now }}.\n      approval: {approvers: [a]}\n", i, i, i, i)
	}
	return []byte(b.String())
}

func aliasBomb() []byte {
	var b strings.Builder
	b.WriteString("version: 1\nid: bomb\ntitle: Bomb\nstakeholders:\n  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		fmt.Fprintf(&b, "  - &%s [%s]\n", name, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 9), ", "))
		prev = name
	}
	return []byte(b.String())
}

// manyStakeholders is a file near the 1 MiB limit where every step reaches
// everyone through a role: the shape that once made validation cubic.
func manyStakeholders() []byte {
	var b strings.Builder
	b.WriteString("version: 1\nid: many\ntitle: Many\nstakeholders:\n")
	for i := range 12000 {
		fmt.Fprintf(&b, "  - {id: s%d, name: Person %d, roles: [x], email: s%d@northbridge.gov.uk}\n", i, i, i)
	}
	b.WriteString("channels:\n  - {id: mail, type: email, to: [role:x]}\nsteps:\n")
	for i := range 50 {
		fmt.Fprintf(&b, "  - {id: t%d, title: T, at: %dm, notify: {to: [role:x, mail], subject: s, body: b, approval: {approvers: [role:x]}}}\n", i, i)
	}
	return []byte(b.String())
}

// BenchmarkParseManyStakeholders measures what a large fan-out costs to
// parse and to keep: a runbook of 10,000 stakeholders, as bench's people
// writes one. retained-B/stakeholder is the live heap the parsed runbook
// holds, after a collection, divided by the stakeholders in it.
func BenchmarkParseManyStakeholders(b *testing.B) {
	const n = 10000
	data := fanOut(n)
	rb, err := Parse("bench.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	if len(rb.Stakeholders) != n {
		b.Fatalf("parsed %d stakeholders, want %d", len(rb.Stakeholders), n)
	}
	rb = nil
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rb, _ = Parse("bench.yaml", data)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(rb)
	retained := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, _ = Parse("bench.yaml", data)
	}
	b.ReportMetric(retained, "retained-B/stakeholder")
}

// fanOut is a runbook reaching n Slack users through one role, as
// bench/fanout.go's people writes it.
func fanOut(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nid: fanout\ntitle: Fan-out\nstakeholders:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: p%d, name: Person %d, roles: [everyone], slack: U%08d}\n", i, i, i)
	}
	b.WriteString("channels:\n  - {id: log, type: log}\nsteps:\n  - {id: tell, title: Tell everyone, at: 0s, notify: {to: [role:everyone], subject: Road closures in Eastgate, " +
		"body: \"The A61 is closed between the station and the park while the police work at the scene. Please use the ring road.\"}}\n")
	return []byte(b.String())
}
