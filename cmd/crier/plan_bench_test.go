package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/runbooks"
)

// BenchmarkPlanRotas measures crier plan's work, the schedule and who
// each row reaches, for a runbook whose ten stakeholders are duty rotas,
// against the same runbook with ten stakeholders carrying their own
// contacts, timed turn about in the same run so that the ratio means
// something on a shared, noisy machine. An op is one plan of each.
// x-fixed is the rotas' time over the fixed stakeholders'; the target is
// 1.2 or less.
func BenchmarkPlanRotas(b *testing.B) {
	start := time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)
	dir := benchDirectory(b)
	rotas := benchRunbook(b, func(i int) string { return fmt.Sprintf("{id: s%d, roles: [all], rota: r%d}", i, i) })
	fixed := benchRunbook(b, func(i int) string {
		return fmt.Sprintf("{id: s%d, name: Officer %d, roles: [all], email: officer%d@northbridge.gov.uk, phone: \"+4477009001%02d\"}", i, i, i, i)
	})
	plan := func(rb *runbooks.Runbook, dir runbooks.Directory) int {
		occ, err := runbooks.Plan(rb, start, 14*24*time.Hour, runbooks.PlanOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return len(engine.PlanReaches(rb, dir, occ, false))
	}
	if n := plan(rotas, dir); n != plan(fixed, nil) || n < 1000 {
		b.Fatalf("the plans have %d and %d rows", n, plan(fixed, nil))
	}
	// The two are timed turn about, so that the machine's moods fall on both.
	b.ReportAllocs()
	var withRotas, withFixed time.Duration
	for b.Loop() {
		began := time.Now()
		plan(rotas, dir)
		mid := time.Now()
		plan(fixed, nil)
		withRotas, withFixed = withRotas+mid.Sub(began), withFixed+time.Since(mid)
	}
	b.ReportMetric(float64(withRotas)/float64(withFixed), "x-fixed")
	b.ReportMetric(float64(withRotas.Microseconds())/1000/float64(b.N), "ms-rotas")
	b.ReportMetric(float64(withFixed.Microseconds())/1000/float64(b.N), "ms-fixed")
}

// benchRunbook has ten stakeholders, written by stakeholder, and four
// hourly steps that reach all of them: 1,344 rows over two weeks, each
// reaching ten people.
func benchRunbook(b *testing.B, stakeholder func(i int) string) *runbooks.Runbook {
	var src strings.Builder
	src.WriteString("version: 1\nid: bench\ntitle: Bench\ntimezone: Europe/London\nstakeholders:\n")
	for i := range 10 {
		fmt.Fprintf(&src, "  - %s\n", stakeholder(i))
	}
	src.WriteString("channels:\n  - {id: log, type: log}\nsteps:\n")
	for i := range 4 {
		fmt.Fprintf(&src, "  - {id: step%d, title: Step %d, every: \"%d * * * *\", notify: {to: [role:all], subject: Update, body: An update.}}\n", i, i, i*15)
	}
	rb, err := runbooks.Parse("bench.yaml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	return rb
}

// benchDirectory has ten daily rotas of three people each, with a year of
// weekly overrides written into every one.
func benchDirectory(b *testing.B) *directory.Directory {
	var src strings.Builder
	src.WriteString("kind: directory\nversion: 1\ntimezone: Europe/London\npeople:\n")
	for i := range 30 {
		fmt.Fprintf(&src, "  - {id: p%d, name: Person %d, email: person%d@northbridge.gov.uk, phone: \"+4477009002%02d\"}\n", i, i, i, i)
	}
	src.WriteString("rotas:\n")
	for r := range 10 {
		fmt.Fprintf(&src, "  - id: r%d\n    name: Rota %d\n    people: [p%d, p%d, p%d]\n    start: 2026-01-01\n    handover: \"09:00\"\n    overrides:\n", r, r, 3*r, 3*r+1, 3*r+2)
		for w := range 52 {
			from := time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w)
			fmt.Fprintf(&src, "      - {person: p%d, from: \"%s\", until: \"%s\"}\n", (3*r+w)%30, from.Format("2006-01-02 15:04"), from.AddDate(0, 0, 1).Format("2006-01-02 15:04"))
		}
	}
	d, err := directory.Parse("bench-directory.yaml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	return d
}
