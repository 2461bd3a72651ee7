package examples

import (
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/runbooks"
)

// northbridge is the built-in directory, with its lists loaded from the
// built-in copies, as crier serve on the embedded default would read it.
func northbridge(t *testing.T) *directory.Directory {
	t.Helper()
	data, err := fs.ReadFile(FS, DirectoryFile)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Parse(DirectoryFile, data)
	if err != nil {
		t.Fatalf("the built-in directory: %v", err)
	}
	if err := dir.LoadLists(FS); err != nil {
		t.Fatalf("the built-in directory's lists: %v", err)
	}
	return dir
}

// exampleRunbooks are the six example runbooks, parsed without the
// directory, as crier parses any runbook.
func exampleRunbooks(t *testing.T) []*runbooks.Runbook {
	t.Helper()
	names, _ := fs.Glob(FS, "*.yaml")
	var out []*runbooks.Runbook
	for _, name := range names {
		if name == DirectoryFile || !runbooks.IsRunbookFile(name) {
			continue
		}
		b, _ := fs.ReadFile(FS, name)
		rb, err := runbooks.Parse(name, b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, rb)
	}
	if len(out) != 6 {
		t.Fatalf("%d example runbooks, want 6", len(out))
	}
	return out
}

// A day the rotas are running on: crier validate would say nothing of
// the examples then.
var aWednesdayIn2026 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// Every example points into the Northbridge directory, and every pointer
// holds: no unknown person, rota, list or organisation, nobody a step
// needs without the contact it needs, and no warning either.
func TestEveryExamplePointsIntoTheDirectory(t *testing.T) {
	dir := northbridge(t)
	for _, rb := range exampleRunbooks(t) {
		pointers := 0
		for i := range rb.Stakeholders {
			if rb.Stakeholders[i].InDirectory() {
				pointers++
			}
		}
		if pointers == 0 {
			t.Errorf("%s: no stakeholder points into the directory", rb.File())
		}
		for _, d := range runbooks.CheckDirectory(rb, dir, aWednesdayIn2026) {
			t.Errorf("%s", d)
		}
	}
}

// Without a directory, an example that points into it is refused, saying
// there is none: the examples really depend on it.
func TestTheExamplesNeedTheDirectory(t *testing.T) {
	for _, rb := range exampleRunbooks(t) {
		ds := runbooks.CheckDirectory(rb, nil, aWednesdayIn2026)
		if len(ds) != 1 || ds[0].Severity != runbooks.SeverityError {
			t.Errorf("%s without a directory: %v", rb.File(), ds)
		}
	}
}

// The Duty Communications Officer is whoever is on the rota: a week each
// from Monday 09:00, and Sam over Christmas 2026.
func TestTheDutyCommsOfficerIsWhoeverIsOnTheRota(t *testing.T) {
	dir := northbridge(t)
	london, _ := time.LoadLocation("Europe/London")
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 1, 5, 8, 59, 0, 0, london), ""},
		{time.Date(2026, 1, 5, 9, 0, 0, 0, london), "Alex Morgan"},
		{time.Date(2026, 1, 12, 9, 0, 0, 0, london), "Sam Patel"},
		{time.Date(2026, 1, 19, 9, 0, 0, 0, london), "Grace Bennett"},
		{time.Date(2026, 1, 26, 9, 0, 0, 0, london), "Alex Morgan"},
		{time.Date(2026, 12, 25, 12, 0, 0, 0, london), "Sam Patel"},
		{time.Date(2026, 12, 29, 9, 0, 0, 0, london), "Alex Morgan"},
	} {
		p, err := dir.OnDuty("duty-comms", c.at)
		if got := p.Name; got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("on duty at %s: %q (%v), want %q", c.at, got, err, c.want)
		}
	}
}

// The quick start's demo users are people in the directory, known by the
// Slack ids the demo gives them: the planner is not a comms officer, and
// both comms officers take turns as the Duty Communications Officer.
func TestTheDemoUsersAreInTheDirectory(t *testing.T) {
	dir := northbridge(t)
	for id, want := range map[string]struct{ name, slack string }{
		"priya-shah":  {"Priya Shah", "U04EPMG0001"},
		"alex-morgan": {"Alex Morgan", "U04DCOM0003"},
		"sam-patel":   {"Sam Patel", "U04HCOM0004"},
		"jo-evans":    {"Jo Evans", ""},
	} {
		p, ok := dir.Person(id)
		if !ok || p.Name != want.name || p.Slack != want.slack || p.Organisation != "nbc" {
			t.Errorf("%s: %+v", id, p)
		}
	}
	comms, _ := dir.RotaInfo("duty-comms")
	if !slices.Contains(comms.People, "alex-morgan") || !slices.Contains(comms.People, "sam-patel") || slices.Contains(comms.People, "priya-shah") {
		t.Errorf("duty-comms: %v", comms.People)
	}
	ep, _ := dir.RotaInfo("duty-ep")
	if !slices.Contains(ep.People, "priya-shah") {
		t.Errorf("duty-ep: %v", ep.People)
	}
}

// The lists hold a few hundred residents and the community contacts, with
// the columns the runbooks' channels need, and some rows in the
// borough's other languages.
func TestTheListsAreLoaded(t *testing.T) {
	dir := northbridge(t)
	for _, c := range []struct {
		id        string
		min, max  int
		languages []string
	}{
		{"vulnerable", 250, 400, []string{"cy", "ur", "pl", "pa-Arab"}},
		{"community-contacts", 30, 60, nil},
	} {
		l, ok := dir.List(c.id)
		if !ok || !l.Email || !l.Phone || l.Len() < c.min || l.Len() > c.max {
			t.Errorf("list %s: loaded %v, %d rows", c.id, ok, lenOf(l))
			continue
		}
		seen := map[string]bool{}
		for i := range l.Len() {
			seen[l.Row(i).Language] = true
		}
		for _, lang := range c.languages {
			if !seen[lang] {
				t.Errorf("list %s: no row in %s", c.id, lang)
			}
		}
	}
}

func lenOf(l *directory.List) int {
	if l == nil {
		return 0
	}
	return l.Len()
}

// The flood warning texts the vulnerable residents on the list, and the
// major incident's joint statement is signed by the council and the
// police.
func TestTheExamplesReachTheListAndSignTogether(t *testing.T) {
	dir := northbridge(t)
	found := 0
	for _, rb := range exampleRunbooks(t) {
		for i := range rb.Steps {
			s := &rb.Steps[i]
			if s.Notify == nil {
				continue
			}
			switch {
			case rb.ID == "flood-warning" && s.ID == "vulnerable-residents-text":
				found++
				r := rb.Reach(s.Notify.To)
				sms := slices.ContainsFunc(r.Channels, func(c *runbooks.Channel) bool {
					return c.Type == runbooks.ChannelSMS && slices.ContainsFunc(c.To, func(t runbooks.Ref) bool { return t.Name == "list:vulnerable" })
				})
				if !sms {
					t.Errorf("%s: %s does not text list:vulnerable", rb.ID, s.ID)
				}
			case rb.ID == "major-incident-community-reassurance" && s.ID == "joint-unity-statement":
				found++
				var orgs []string
				for _, o := range s.Notify.Approval.Organisations {
					name, _ := dir.OrganisationName(o.Name)
					orgs = append(orgs, name)
				}
				if !slices.Equal(orgs, []string{"Northbridge Council", "Northbridge Police"}) {
					t.Errorf("%s: %s is signed by %v", rb.ID, s.ID, orgs)
				}
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d of the two steps", found)
	}
}
