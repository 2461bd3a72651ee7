package directory

import (
	"strings"
	"testing"
	"time"
)

// edited is a directory as a planner keeps it: comments, blank lines, a
// rota with overrides and one without.
const edited = `# Northbridge's directory: ask Asha before changing the rotas.
kind: directory
version: 1
timezone: Europe/London

people:
  - {id: asha, name: Asha Patel, phone: "+447700900101"}
  - {id: bryn, name: Bryn Evans, email: bryn@northbridge.gov.uk}
  - {id: chen, name: Chen Li, email: chen@northbridge.gov.uk}

rotas:
  - id: duty-comms
    name: Duty communications officer
    people: [asha, bryn]          # in turn
    start: 2026-01-05             # a Monday
    handover: "Mon 09:00"
    overrides:
      # Christmas
      - {person: chen, from: "2026-12-24 17:00", until: "2026-12-29 09:00"}

  - id: duty-ep
    name: Duty emergency planner
    people:
      - bryn
      - asha
    start: 2026-03-01
    handover: "09:00"   # daily

# lists come later
`

// Cover added to a rota with overrides goes on the line after its last
// one; added to a rota without, it starts the rota's overrides; every
// comment and blank line stays where it was, and the result is a
// directory in which the cover is in force.
func TestAddOverrideKeepsTheFileAsWritten(t *testing.T) {
	out, err := AddOverride([]byte(edited), "duty-comms", "bryn", "2027-01-04 09:00", "2027-01-06 09:00")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(edited, `"2026-12-29 09:00"}
`, `"2026-12-29 09:00"}
      - {person: bryn, from: "2027-01-04 09:00", until: "2027-01-06 09:00"}
`, 1)
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	out, err = AddOverride(out, "duty-ep", "chen", "2026-12-24 09:00", "2026-12-25 09:00")
	if err != nil {
		t.Fatal(err)
	}
	want = strings.Replace(want, `    handover: "09:00"   # daily
`, `    handover: "09:00"   # daily
    overrides:
      - {person: chen, from: "2026-12-24 09:00", until: "2026-12-25 09:00"}
`, 1)
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	d, err := Parse("directory.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 24, 12, 0, 0, 0, d.Location())
	if p, err := d.OnDuty("duty-ep", at); err != nil || p.ID != "chen" {
		t.Errorf("on duty at %v: %v %v, want chen", at, p.ID, err)
	}
	if c, ok := d.Cover("duty-ep", at); !ok || c.Person != "chen" || c.From != "2026-12-24 09:00" || c.Until != "2026-12-25 09:00" {
		t.Errorf("cover at %v: %+v %v", at, c, ok)
	}
	if _, ok := d.Cover("duty-ep", at.Add(24*time.Hour)); ok {
		t.Error("a cover is said to be in force after it ended")
	}
}

// Rotas written in shapes a line cannot be added to (no overrides yet
// written as [], an empty overrides:, a rota on one line, Windows line
// endings) still get the cover, and read as the same directory with it.
func TestAddOverrideToOtherShapes(t *testing.T) {
	base := "kind: directory\nversion: 1\npeople:\n  - {id: asha, name: Asha}\n  - {id: bryn, name: Bryn}\nrotas:\n"
	for name, rota := range map[string]string{
		"empty list":   "  - id: r\n    name: R\n    people: [asha]\n    start: 2026-01-05\n    handover: \"09:00\"\n    overrides: []\n",
		"empty key":    "  - id: r\n    name: R\n    people: [asha]\n    start: 2026-01-05\n    handover: \"09:00\"\n    overrides:\n",
		"one line":     "  - {id: r, name: R, people: [asha], start: 2026-01-05, handover: \"09:00\"}\n",
		"block people": "  - id: r\n    name: R\n    start: 2026-01-05\n    handover: \"09:00\"\n    people:\n    - asha\n",
	} {
		for _, nl := range []string{"\n", "\r\n"} {
			src := strings.ReplaceAll(base+rota, "\n", nl)
			out, err := AddOverride([]byte(src), "r", "bryn", "2026-02-01 09:00", "2026-02-02 09:00")
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			d, err := Parse("directory.yaml", out)
			if err != nil {
				t.Errorf("%s: %v\n%s", name, err, out)
				continue
			}
			if p, _ := d.OnDuty("r", time.Date(2026, 2, 1, 12, 0, 0, 0, d.Location())); p.ID != "bryn" {
				t.Errorf("%s: %q on duty, want bryn; the text:\n%s", name, p.ID, out)
			}
		}
	}
}

// A cover for a rota or a person the directory does not have, or with
// times that are not times, is refused saying which; the text is not
// returned.
func TestAddOverrideRefusals(t *testing.T) {
	for _, c := range []struct{ rota, person, from, until, want string }{
		{"duty-press", "bryn", "2027-01-04 09:00", "2027-01-05 09:00", `no rota has id "duty-press"`},
		{"duty-comms", "dana", "2027-01-04 09:00", "2027-01-05 09:00", `no person has id "dana"; add them to people first`},
		{"duty-comms", "bryn", "2027-01-04T09:00", "2027-01-05 09:00", `from "2027-01-04T09:00" is not a date and 24-hour time like "2026-12-24 17:00"`},
		{"duty-comms", "bryn", "2027-01-04 09:00", "tomorrow", `until "tomorrow" is not a date and 24-hour time`},
		{"duty-comms", "bryn", "2027-01-05 09:00", "2027-01-04 09:00", `the cover ends at 2027-01-04 09:00, not after it starts at 2027-01-05 09:00`},
	} {
		out, err := AddOverride([]byte(edited), c.rota, c.person, c.from, c.until)
		if err == nil || !strings.Contains(err.Error(), c.want) || out != nil {
			t.Errorf("%+v: got %v, want %q", c, err, c.want)
		}
	}
	if _, err := AddOverride([]byte("kind: [directory"), "r", "p", "2027-01-04 09:00", "2027-01-05 09:00"); err == nil || !strings.Contains(err.Error(), "cannot be read as YAML") {
		t.Errorf("text that is not YAML: %v", err)
	}
}

// A cover that overlaps one already written is added to the text, and
// Parse refuses it with the directory's own message, naming the other.
func TestAddOverrideOverlapIsRefusedByParse(t *testing.T) {
	out, err := AddOverride([]byte(edited), "duty-comms", "bryn", "2026-12-28 09:00", "2026-12-30 09:00")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("directory.yaml", out)
	if err == nil || !strings.Contains(err.Error(), `directory.yaml:20:`) || !strings.Contains(err.Error(), "overlaps the one at line 19 (2026-12-24 17:00 until 2026-12-29 09:00)") {
		t.Errorf("got %v", err)
	}
}
