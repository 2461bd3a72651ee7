package directory

import (
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// A rota nobody is on now is warned of, even when an override has been
// written in before its first handover.
func TestARotaNobodyIsOnIsWarnedOf(t *testing.T) {
	d, err := Parse("directory.yaml", []byte(`kind: directory
version: 1
people:
  - {id: ann, name: Ann Oak, email: ann@example.org}
rotas:
  - id: duty
    name: Duty officer
    people: [ann]
    start: 2027-03-01
    handover: "09:00"
    overrides:
      - {person: ann, from: "2026-10-01 09:00", until: "2026-10-02 09:00"}
`))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Parse("r.yaml", []byte(`version: 1
id: r
title: R
stakeholders:
  - {id: duty, rota: duty}
channels:
  - {id: log, type: log}
steps:
  - {id: s, title: S, at: 0s, notify: {to: [duty], subject: S, body: B}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ds := runbooks.CheckDirectory(rb, d, time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	if len(ds) != 1 || ds[0].Severity != runbooks.SeverityWarning || !strings.Contains(ds[0].Message, "nobody is on Duty officer (rota \"duty\") now") || ds[0].Line != 5 {
		t.Errorf("diagnostics: %v", ds)
	}
}

// A person:ID written in a step is reported where it is written.
func TestAPointerInAStepIsReportedWhereWritten(t *testing.T) {
	d, err := Parse("directory.yaml", []byte("kind: directory\nversion: 1\npeople:\n  - {id: ann, name: Ann Oak, email: ann@example.org}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Parse("r.yaml", []byte(`version: 1
id: r
title: R
stakeholders:
  - {id: ann, person: ann}
channels:
  - {id: log, type: log}
steps:
  - {id: s, title: S, at: 0s, notify: {to: [log, "person:anne"], subject: S, body: B}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ds := runbooks.CheckDirectory(rb, d, time.Now())
	if len(ds) != 1 || ds[0].Path != "steps[0].notify.to[1]" || ds[0].Line != 9 || !strings.Contains(ds[0].Message, `the directory has no person "anne"; did you mean "ann"?`) {
		t.Errorf("diagnostics: %+v", ds)
	}
}
