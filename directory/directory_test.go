package directory

import (
	"errors"
	"strings"
	"testing"

	"github.com/crierhq/crier/runbooks"
)

// head is the start of a directory file every case below builds on: lines
// 1 to 7.
const head = `kind: directory
version: 1
organisations:
  - {id: nbc, name: Northbridge Council}
people:
  - {id: asha, name: Asha Patel, organisation: nbc, email: asha@northbridge.gov.uk}
  - {id: bryn, name: Bryn Evans, email: bryn@northbridge.gov.uk}
`

func TestParseNorthbridge(t *testing.T) {
	d, err := Load("testdata/northbridge.yaml")
	if err != nil {
		t.Fatalf("the example directory is refused:\n%v", err)
	}
	if d.Location().String() != "Europe/London" || len(d.People) != 3 || len(d.Rotas) != 2 || len(d.Lists) != 1 {
		t.Fatalf("decoded wrongly: zone %s, %d people, %d rotas, %d lists", d.Location(), len(d.People), len(d.Rotas), len(d.Lists))
	}
	if p, ok := d.Person("bryn"); !ok || p.Language != "cy" || p.Slack != "U04BRYN0001" {
		t.Errorf("Person(bryn) = %+v, %v", p, ok)
	}
}

func TestDefaultTimezone(t *testing.T) {
	d, err := Parse("d.yaml", []byte(head))
	if err != nil {
		t.Fatal(err)
	}
	if d.Location().String() != DefaultTimezone {
		t.Errorf("zone = %s, want %s", d.Location(), DefaultTimezone)
	}
}

// Every problem is reported at the value it is about, as file:line:col:
// path: message.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // each the start of one diagnostic, in order
	}{
		{"empty", "", []string{"d.yaml:1:1: file is empty"}},
		{"not a directory", "kind: runbook\nversion: 1\n", []string{`d.yaml:1:7: kind: "runbook" is not a valid kind`}},
		{"version", "kind: directory\nversion: 2\n", []string{"d.yaml:2:10: version: unsupported version 2"}},
		{"unknown field", head + "teams: []\n", []string{`d.yaml:8:1: unknown field "teams"`}},
		{"bad timezone", strings.Replace(head, "version: 1\n", "version: 1\ntimezone: Europe/Northbridge\n", 1),
			[]string{`d.yaml:3:11: timezone: "Europe/Northbridge" is not a time zone`}},
		{"duplicate person", head + "  - {id: asha, name: Asha Again, email: a2@northbridge.gov.uk}\n",
			[]string{`d.yaml:8:10: people[2].id: id "asha" is already used by people[0] at line 6`}},
		{"bad id", head + "  - {id: Asha P, name: x, email: x@northbridge.gov.uk}\n",
			[]string{`d.yaml:8:10: people[2].id: "Asha P" is not a valid id`}},
		{"unknown organisation", head + "  - {id: chen, name: Chen Li, organisation: police, email: chen@police.uk}\n",
			[]string{`d.yaml:8:45: people[2].organisation: no organisation has id "police"`}},
		{"contacts", head + "  - {id: chen, name: Chen Li, email: chen.police.uk, phone: 07700 900123, slack: chen, language: english-please}\n",
			[]string{
				`d.yaml:8:38: people[2].email[0]: "chen.police.uk" is not an email address`,
				`d.yaml:8:61: people[2].phone: "07700 900123" is not an E.164 phone number; write it with the country code and no spaces, like +447700900123 (for a UK number, "+447700900123")`,
				`d.yaml:8:82: people[2].slack: "chen" is not a Slack user id`,
				`d.yaml:8:98: people[2].language: "english-please" is not a BCP 47 language tag`,
			}},
		{"rota with nobody", head + "rotas:\n  - {id: r, name: R, people: [], start: 2026-01-05, handover: \"09:00\"}\n",
			[]string{`d.yaml:9:30: rotas[0].people: needs at least 1`}},
		{"rota with a stranger", head + "rotas:\n  - {id: r, name: R, people: [asha, zed], start: 2026-01-05, handover: \"09:00\"}\n",
			[]string{`d.yaml:9:37: rotas[0].people[1]: no person has id "zed"`}},
		{"bad handover", head + "rotas:\n  - {id: r, name: R, people: [asha], start: 2026-01-05, handover: \"Monday 9am\"}\n",
			[]string{`d.yaml:9:67: rotas[0].handover: "Monday 9am" is not a handover time`}},
		{"24-hour handover", head + "rotas:\n  - {id: r, name: R, people: [asha], start: 2026-01-05, handover: \"24:00\"}\n",
			[]string{`d.yaml:9:67: rotas[0].handover: "24:00" is not a handover time`}},
		{"bad start", head + "rotas:\n  - {id: r, name: R, people: [asha], start: 5/1/2026, handover: \"09:00\"}\n",
			[]string{`d.yaml:9:45: rotas[0].start: "5/1/2026" is not a date`}},
		{"start on the wrong day", head + "rotas:\n  - {id: r, name: R, people: [asha], start: 2026-01-06, handover: \"Mon 09:00\"}\n",
			[]string{"d.yaml:9:45: rotas[0].start: 2026-01-06 is a Tuesday, but the rota hands over on Mondays; start it on a Monday, such as 2026-01-12"}},
		{"override", head + `rotas:
  - id: r
    name: R
    people: [asha]
    start: 2026-01-05
    handover: "09:00"
    overrides:
      - {person: zed, from: "2026-12-24 17:00", until: "2026-12-29 09:00"}
      - {person: bryn, from: "24/12/2026", until: "2026-12-29 09:00"}
      - {person: bryn, from: "2026-12-29 09:00", until: "2026-12-24 17:00"}
`, []string{
			`d.yaml:15:18: rotas[0].overrides[0].person: no person has id "zed"`,
			`d.yaml:16:30: rotas[0].overrides[1].from: "24/12/2026" is not a local date and time`,
			`d.yaml:17:57: rotas[0].overrides[2].until: the override ends at 2026-12-24 17:00, not after it starts at 2026-12-29 09:00`,
		}},
		{"overlapping overrides", head + `rotas:
  - id: r
    name: R
    people: [asha]
    start: 2026-01-05
    handover: "09:00"
    overrides:
      - {person: bryn, from: "2026-12-24 17:00", until: "2026-12-29 09:00"}
      - {person: asha, from: "2026-12-20 09:00", until: "2026-12-25 09:00"}
`, []string{`d.yaml:16:30: rotas[0].overrides[1].from: this override overlaps the one at line 15 (2026-12-24 17:00 until 2026-12-29 09:00)`}},
		{"list file", head + "lists:\n  - {id: v, name: V, file: ../secret.csv}\n  - {id: w, name: W, file: lists/w.xlsx}\n",
			[]string{`d.yaml:9:28: lists[0].file: "../secret.csv" is not a CSV file beside the directory`,
				`d.yaml:10:28: lists[1].file: "lists/w.xlsx" is not a CSV file`}},
		{"all at once", head + "rotas:\n  - {id: r, name: R, people: [zed], start: 2026-01-05, handover: \"9\"}\nlists:\n  - {id: v, name: V}\n",
			[]string{`d.yaml:9:31: rotas[0].people[0]: no person has id "zed"`,
				`d.yaml:9:66: rotas[0].handover: "9" is not a handover time`,
				`d.yaml:11:5: lists[0]: missing required field "file"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse("d.yaml", []byte(c.yaml))
			var list runbooks.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an ErrorList, got %v (directory %v)", err, d)
			}
			if len(list) != len(c.want) {
				t.Fatalf("want %d problems, got %d:\n%v", len(c.want), len(list), err)
			}
			for i, w := range c.want {
				if got := list[i].String(); !strings.HasPrefix(got, w) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i, got, w)
				}
			}
		})
	}
}
