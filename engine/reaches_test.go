package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/runbooks"
)

// reachDirectory is a two-person rota handing over daily at 09:00,
// London time, with Chen covering a day, and a list of three residents.
func reachDirectory(t *testing.T) *directory.Directory {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"directory.yaml": `kind: directory
version: 1
timezone: Europe/London
people:
  - {id: asha, name: Asha Patel, email: asha.patel@northbridge.gov.uk, phone: "+447700900101"}
  - {id: bryn, name: Bryn Evans, email: bryn.evans@northbridge.gov.uk, slack: U04BRYN0001}
  - {id: chen, name: Chen Li, email: chen.li@northbridge.gov.uk}
rotas:
  - id: duty-comms
    name: Duty Communications Officer
    people: [asha, bryn]
    start: 2026-10-01
    handover: "09:00"
    overrides:
      - {person: chen, from: "2026-10-26 09:00", until: "2026-10-27 09:00"}
lists:
  - {id: residents, name: Residents who asked for texts, file: residents.csv}
`,
		"residents.csv": "name,phone\nResident One,+447700900901\nResident Two,+447700900902\nResident Three,+447700900903\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d, err := directory.Open(filepath.Join(dir, "directory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const reachRunbook = `version: 1
id: duty-check
title: Duty officer check-ins
timezone: Europe/London
stakeholders:
  - {id: duty, name: Duty officer, roles: [comms], rota: duty-comms}
  - {id: press, name: Press office, email: press@northbridge.gov.uk}
channels:
  - {id: resident-texts, type: sms, to: [list:residents]}
steps:
  - id: check-in
    title: Duty officer check-in
    at: 0m
    notify: {to: [duty], subject: Check-in, body: Please confirm you are on duty.}
  - id: alert
    title: Alert residents
    at: 1h
    notify: {to: [resident-texts, press], subject: Flood warning, body: Flood warning for the river Nor.}
`

// Who a step reaches is whoever is on the rota's duty at its time: Asha
// before the 09:00 handover, Bryn after it, each by every contact they
// have; a list is told by its name and size, never its rows.
func TestReachesAtRotaHandoverAndList(t *testing.T) {
	d := reachDirectory(t)
	rb, err := runbooks.Parse("duty.yaml", []byte(reachRunbook))
	if err != nil {
		t.Fatal(err)
	}
	checkIn := runbooks.Occurrence{Step: "check-in", Kind: "notify", To: []string{"duty"}}
	for _, c := range []struct {
		at, id, name, via string
	}{
		{"2026-10-24T07:50:00Z", "asha", "Asha Patel", "email,sms"}, // Sat 08:50 BST: Asha's turn since Fri 09:00
		{"2026-10-24T08:10:00Z", "bryn", "Bryn Evans", "email,slack"},
		{"2026-10-26T09:30:00Z", "chen", "Chen Li", "email"}, // covering Bryn
	} {
		checkIn.At, _ = time.Parse(time.RFC3339, c.at)
		row := ReachesAt(rb, d, checkIn, false)
		if len(row.Reaches) != 1 {
			t.Fatalf("at %s the check-in reaches %+v; want one person", c.at, row.Reaches)
		}
		got := row.Reaches[0]
		if got.ID != c.id || got.Name != c.name || strings.Join(got.Via, ",") != c.via || got.Stakeholder != "duty" ||
			got.Rota != "duty-comms" || got.RotaName != "Duty Communications Officer" {
			t.Errorf("at %s the check-in reaches %+v; want %s (%s) on the Duty Communications Officer rota", c.at, got, c.name, c.via)
		}
	}
	alert := runbooks.Occurrence{Step: "alert", Kind: "notify", At: checkIn.At, To: []string{"resident-texts", "press"}}
	row := ReachesAt(rb, d, alert, false)
	if len(row.Reaches) != 2 || row.Reaches[0].Name != "Press office" || row.Reaches[1].List != "residents" ||
		row.Reaches[1].Rows != 3 || row.Reaches[1].ListName != "Residents who asked for texts" {
		t.Errorf("the alert reaches %+v; want the press office, then the residents' list of 3", row.Reaches)
	}
	for _, who := range row.Reaches {
		if strings.Contains(who.Name, "Resident One") || strings.Contains(who.ID, "+4477009009") {
			t.Errorf("a list's row is named: %+v", who)
		}
	}
}

// Before anyone's first turn nobody is on duty, and the row says so
// rather than reaching no one in silence.
func TestReachesAtNobodyOnDuty(t *testing.T) {
	rb, err := runbooks.Parse("duty.yaml", []byte(reachRunbook))
	if err != nil {
		t.Fatal(err)
	}
	o := runbooks.Occurrence{Step: "check-in", Kind: "notify", At: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC), To: []string{"duty"}}
	row := ReachesAt(rb, reachDirectory(t), o, false)
	if len(row.Reaches) != 1 || !row.Reaches[0].NobodyOnDuty || row.Reaches[0].RotaName != "Duty Communications Officer" {
		t.Errorf("before the rota starts the check-in reaches %+v; want nobody on duty", row.Reaches)
	}
}

// A Reacher asks the directory who is on duty once a turn, and is told
// the same as asking it every time: every ten minutes over a month with
// a change of the clocks and an override, going forward and back.
func TestReacherTurnsAsDirectorySays(t *testing.T) {
	d := reachDirectory(t)
	once := NewReacher(nil, d, false).dir
	from := time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)
	var times []time.Time
	for at := from; at.Before(from.AddDate(0, 0, 30)); at = at.Add(10 * time.Minute) {
		times = append(times, at)
	}
	times = append(times, times[len(times)/2], from, times[len(times)-1], times[100])
	for _, at := range times {
		got, gotOK := once.OnDutyAt("duty-comms", at)
		want, wantOK := d.OnDutyAt("duty-comms", at)
		if got != want || gotOK != wantOK {
			t.Fatalf("at %s: %q %v, the directory says %q %v", at, got, gotOK, want, wantOK)
		}
	}
}

// A Reacher reused over a plan's rows, working each shift out once, says
// for every row what a fresh one says: every half hour over ten days,
// across the handovers, Chen's cover and back, and the change of clocks.
func TestReacherOverAPlanSaysWhatAFreshOneSays(t *testing.T) {
	d := reachDirectory(t)
	rb, err := runbooks.Parse("duty.yaml", []byte(reachRunbook))
	if err != nil {
		t.Fatal(err)
	}
	reused := NewReacher(rb, d, false)
	seen := map[string]bool{}
	for at := time.Date(2026, 10, 20, 6, 0, 0, 0, time.UTC); at.Before(time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)); at = at.Add(30 * time.Minute) {
		for _, to := range [][]string{{"duty"}, {"resident-texts", "press", "duty"}} {
			o := runbooks.Occurrence{At: at, To: to}
			got, want := reused.Row(o), ReachesAt(rb, d, o, false)
			if !slices.EqualFunc(got.Reaches, want.Reaches, func(a, b Reached) bool { return a.key() == b.key() && slices.Equal(a.Via, b.Via) }) {
				t.Fatalf("at %s %v: the reused reacher says %+v, a fresh one %+v", at, to, got.Reaches, want.Reaches)
			}
			seen[got.Reaches[len(got.Reaches)-1].ID] = true
		}
	}
	if !seen["asha"] || !seen["bryn"] || !seen["chen"] {
		t.Errorf("the ten days did not cover every turn: %v", seen)
	}
}
