package publicfeed_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/publicfeed"
)

// warning is a runbook with a public audience (and a Welsh one), and
// staff who are told things the public are not.
const warning = `version: 1
id: flood
title: Flood warning for Riverside
timezone: Europe/London
stakeholders:
  - {id: head, name: Head of comms, roles: [approver], email: head@northbridge.gov.uk}
  - {id: duty, name: Duty officer, email: duty@northbridge.gov.uk}
channels:
  - {id: website, type: webhook, url: "https://northbridge.gov.uk/hooks/news"}
  - {id: welsh, type: email, to: [grwpiau@example.org]}
  - {id: intranet, type: slack, slack_channel: "#staff"}
audiences:
  - {id: residents, kind: public, channels: [website, welsh], languages: [cy]}
  - {id: staff, kind: staff, channels: [intranet]}
steps:
  - id: warning
    title: Public warning
    at: 0s
    notify:
      to: [residents]
      subject: Flood warning for Riverside
      body: Move valuables upstairs. <b>Do not</b> drive through flood water.
      translations:
        cy: {subject: Rhybudd llifogydd, body: Symudwch bethau gwerthfawr i fyny'r grisiau.}
      approval: {approvers: [head]}
  - id: staff-brief
    title: Staff briefing
    at: 0s
    notify:
      to: [staff]
      subject: Staff briefing
      body: Rest centre opens at noon.
  - id: update
    title: Public update
    at: 1h
    notify:
      to: [residents]
      subject: Update on the flood in Riverside
      body: The river has peaked.
`

var start = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC) // 10:00 in London, BST

// run activates the runbook, sends its warning and its update an hour
// later, and with standDown ends it; it returns the activation.
func run(t *testing.T, e *engine.Engine, clock *engine.VirtualClock, mode string, standDown bool) string {
	t.Helper()
	return runFrom(t, e, clock, start, mode, standDown)
}

// runFrom is run starting at a given time.
func runFrom(t *testing.T, e *engine.Engine, clock *engine.VirtualClock, start time.Time, mode string, standDown bool) string {
	t.Helper()
	clock.Set(start)
	id := engine.ActivationID(apply(t, e, &engine.Activate{Source: []byte(warning), SourceName: "flood.yaml", Mode: mode,
		Event: "flood-warning", Severity: "high"}))
	// The warning and the staff brief, due at the start, fired with it.
	clock.Set(start.Add(5 * time.Minute))
	apply(t, e, &engine.Approve{Message: engine.OccurrenceID(id, "warning", 1), By: "head"})
	clock.Set(start.Add(time.Hour))
	apply(t, e, &engine.Fire{Occurrence: engine.OccurrenceID(id, "update", 1)})
	if standDown {
		clock.Set(start.Add(2 * time.Hour))
		apply(t, e, &engine.StandDown{Activation: id, Reason: "River back within its banks"})
	}
	return id
}

func apply(t *testing.T, e *engine.Engine, c engine.Command) uint64 {
	t.Helper()
	index, err := e.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("%s: %v", c.Kind(), err)
	}
	return index
}

func open(t *testing.T) (*engine.Engine, *engine.VirtualClock, *publicfeed.Publisher) {
	t.Helper()
	return openAt(t, start)
}

// openAt is open with the clock at a given time.
func openAt(t *testing.T, start time.Time) (*engine.Engine, *engine.VirtualClock, *publicfeed.Publisher) {
	t.Helper()
	clock := engine.NewVirtualClock(start)
	e, err := engine.Open(context.Background(), engine.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return e, clock, &publicfeed.Publisher{Engine: e, BaseURL: "https://crier.northbridge.gov.uk"}
}

// docs marshals every alert and holds each to CAP 1.2's rules.
func docs(t *testing.T, alerts []*publicfeed.Alert) []capAlert {
	t.Helper()
	var out []capAlert
	for _, a := range alerts {
		doc, err := a.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, checkCAP(t, doc))
	}
	return out
}

// A live activation publishes its public warning as an Alert (in English
// and Welsh), its update as an Update referring to it, and at stand-down a
// Cancel referring to both; the staff briefing is never published.
func TestALiveActivationPublishesAlertUpdateCancel(t *testing.T) {
	e, clock, p := open(t)
	id := run(t, e, clock, "live", true)
	alerts, err := p.Alerts(false)
	if err != nil {
		t.Fatal(err)
	}
	got := docs(t, alerts)
	if len(got) != 3 {
		t.Fatalf("got %d alerts, want 3 (cancel, update, warning): %+v", len(got), got)
	}
	cancel, update, warning := got[0], got[1], got[2]
	if warning.MsgType != "Alert" || warning.Status != "Actual" || warning.Identifier != id+".warning.1.r1" ||
		warning.Sender != "crier@crier.northbridge.gov.uk" || warning.Sent != "2026-07-01T10:05:00+01:00" || warning.References != "" {
		t.Errorf("warning = %+v", warning)
	}
	if len(warning.Info) != 2 || warning.Info[0].Language != "en-GB" || warning.Info[1].Language != "cy" ||
		warning.Info[1].Headline != "Rhybudd llifogydd" || warning.Info[0].Event != "Flood warning for Riverside" {
		t.Errorf("warning's info = %+v", warning.Info)
	}
	in := warning.Info[0]
	if in.Category[0] != "Met" || in.Urgency != "Immediate" || in.Severity != "Severe" || in.Certainty != "Observed" ||
		in.Description != "Move valuables upstairs. <b>Do not</b> drive through flood water." || in.Web != "https://crier.northbridge.gov.uk/public/" {
		t.Errorf("warning's English = %+v", in)
	}
	ref := "crier@crier.northbridge.gov.uk," + warning.Identifier + "," + warning.Sent
	if update.MsgType != "Update" || update.References != ref || update.Sent != "2026-07-01T11:00:00+01:00" {
		t.Errorf("update = %+v, want references %q", update, ref)
	}
	if cancel.MsgType != "Cancel" || cancel.References != ref+" crier@crier.northbridge.gov.uk,"+update.Identifier+","+update.Sent ||
		cancel.Sent != "2026-07-01T12:00:00+01:00" {
		t.Errorf("cancel = %+v", cancel)
	}
	for _, a := range got {
		if strings.Contains(a.Identifier, "staff") {
			t.Errorf("the staff briefing was published: %s", a.Identifier)
		}
	}
}

// In a UK winter London is on GMT, a zero offset, which CAP 1.2 (§3.3.2)
// writes as -00:00: never +00:00 or Z, in sent or in the references.
func TestWinterAlertsWriteGMTAsMinusZero(t *testing.T) {
	winter := time.Date(2026, 1, 14, 9, 0, 0, 0, time.UTC) // 09:00 in London, GMT
	e, clock, p := openAt(t, winter)
	id := runFrom(t, e, clock, winter, "live", true)
	alerts, err := p.Alerts(false)
	if err != nil {
		t.Fatal(err)
	}
	got := docs(t, alerts)
	if len(got) != 3 {
		t.Fatalf("got %d alerts, want 3: %+v", len(got), got)
	}
	cancel, update, warning := got[0], got[1], got[2]
	if warning.Sent != "2026-01-14T09:05:00-00:00" || update.Sent != "2026-01-14T10:00:00-00:00" || cancel.Sent != "2026-01-14T11:00:00-00:00" {
		t.Errorf("sent = %q, %q, %q; want 09:05, 10:00 and 11:00 at -00:00", warning.Sent, update.Sent, cancel.Sent)
	}
	want := "crier@crier.northbridge.gov.uk," + id + ".warning.1.r1,2026-01-14T09:05:00-00:00 " +
		"crier@crier.northbridge.gov.uk," + id + ".update.1.r1,2026-01-14T10:00:00-00:00"
	if cancel.References != want {
		t.Errorf("cancel's references = %q, want %q", cancel.References, want)
	}
	for _, a := range alerts {
		doc, _ := a.Marshal()
		if strings.Contains(string(doc), "+00:00") || strings.Contains(string(doc), ":00Z") {
			t.Errorf("%s writes UTC as +00:00 or Z:\n%s", a.Identifier, doc)
		}
	}
}

// An exercise's alerts are status Exercise and only among the exercise's:
// never in the live feed, never found as a live alert.
func TestExerciseAlertsStayOutOfTheLiveFeed(t *testing.T) {
	e, clock, p := open(t)
	live := run(t, e, clock, "live", false)
	drill := run(t, e, clock, "exercise", true)
	lives, err := p.Alerts(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range docs(t, lives) {
		if a.Status != "Actual" || !strings.HasPrefix(a.Identifier, live+".") {
			t.Errorf("live feed holds %s (%s)", a.Identifier, a.Status)
		}
	}
	exercises, err := p.Alerts(true)
	if err != nil {
		t.Fatal(err)
	}
	got := docs(t, exercises)
	if len(got) != 3 || got[0].MsgType != "Cancel" {
		t.Fatalf("exercise alerts = %+v", got)
	}
	for _, a := range got {
		if a.Status != "Exercise" || !strings.HasPrefix(a.Identifier, drill+".") || !strings.HasPrefix(a.Info[0].Headline, "EXERCISE EXERCISE EXERCISE") ||
			a.Info[0].Web != "https://crier.northbridge.gov.uk/public/exercise/" {
			t.Errorf("exercise alert %s: status %s, headline %q, web %q", a.Identifier, a.Status, a.Info[0].Headline, a.Info[0].Web)
		}
		if found, err := p.Alert(a.Identifier, false); err != nil || found != nil {
			t.Errorf("exercise alert %s found among live ones: %v %v", a.Identifier, found, err)
		}
	}
}

// atomFeed is a feed as an Atom reader reads it.
type atomFeed struct {
	XMLName xml.Name
	ID      string `xml:"id"`
	Title   string `xml:"title"`
	Updated string `xml:"updated"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Link    struct {
			Rel  string `xml:"rel,attr"`
			Type string `xml:"type,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
	} `xml:"entry"`
}

// The feed parses as Atom: an id, a title and an updated time for it and
// each entry, entries newest first, each linking to its CAP document.
func TestTheFeedReadsAsAtom(t *testing.T) {
	e, clock, p := open(t)
	run(t, e, clock, "live", true)
	alerts, err := p.Alerts(false)
	if err != nil {
		t.Fatal(err)
	}
	feed := publicfeed.FeedOf("Public alerts", "https://crier.northbridge.gov.uk/public/cap.atom", alerts,
		func(a *publicfeed.Alert) string {
			return "https://crier.northbridge.gov.uk/public/cap/" + a.Identifier + ".xml"
		}, start)
	doc, err := feed.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var f atomFeed
	if err := xml.Unmarshal(doc, &f); err != nil {
		t.Fatal(err)
	}
	if f.XMLName.Space != "http://www.w3.org/2005/Atom" || f.XMLName.Local != "feed" || f.ID == "" || f.Title == "" {
		t.Fatalf("feed = %+v", f)
	}
	if len(f.Entries) != 3 {
		t.Fatalf("%d entries, want 3", len(f.Entries))
	}
	var last time.Time
	for i, en := range f.Entries {
		at, err := time.Parse(time.RFC3339, en.Updated)
		if err != nil || en.ID == "" || en.Title == "" || en.Link.Type != "application/cap+xml" || !strings.HasSuffix(en.Link.Href, ".xml") {
			t.Errorf("entry %d = %+v (%v)", i, en, err)
		}
		if i > 0 && at.After(last) {
			t.Errorf("entry %d (%s) is newer than the one before it", i, en.Updated)
		}
		last = at
	}
	if f.Updated != f.Entries[0].Updated {
		t.Errorf("feed updated %s, want its newest entry's %s", f.Updated, f.Entries[0].Updated)
	}
}

// The grading follows the activation's severity; none is Unknown.
func TestGrading(t *testing.T) {
	for sev, want := range map[string]publicfeed.Grading{
		"critical": {"Immediate", "Extreme", "Observed"}, "high": {"Immediate", "Severe", "Observed"},
		"medium": {"Expected", "Moderate", "Likely"}, "low": {"Expected", "Minor", "Likely"}, "": {"Unknown", "Unknown", "Unknown"},
	} {
		if got := publicfeed.GradingOf(sev); got != want {
			t.Errorf("GradingOf(%q) = %v, want %v", sev, got, want)
		}
	}
	for event, want := range map[string]string{"flood-warning": "Met", "cyber-attack": "Infra", "terrorist-attack": "Security",
		"community-tension": "Safety", "planned-protest": "Safety", "hate-incidents-surge": "Security", "school closure": "Other"} {
		if got := publicfeed.CategoryOf(event); got != want {
			t.Errorf("CategoryOf(%q) = %q, want %q", event, got, want)
		}
	}
}

// A comms officer's own message to the public is published as the
// runbook's are; one to staff is not.
func TestAnAdHocMessageToThePublicIsPublished(t *testing.T) {
	e, _, p := open(t)
	id := engine.ActivationID(apply(t, e, &engine.Activate{Source: []byte(warning), SourceName: "flood.yaml", Mode: "live"}))
	public := engine.AdHocID(id, apply(t, e, &engine.WriteMessage{Activation: id, By: "duty", To: []string{"residents"},
		Subject: "Rest centre open", Body: "The rest centre at the leisure centre is open."}))
	staff := engine.AdHocID(id, apply(t, e, &engine.WriteMessage{Activation: id, By: "duty", To: []string{"staff"},
		Subject: "Rota", Body: "Check the rota."}))
	apply(t, e, &engine.Approve{Message: public, By: "head"})
	apply(t, e, &engine.Approve{Message: staff, By: "head"})
	alerts, err := p.Alerts(false)
	if err != nil {
		t.Fatal(err)
	}
	got := docs(t, alerts)
	if len(got) != 1 || got[0].Identifier != publicfeed.Identifier(public, 1) || got[0].MsgType != "Alert" ||
		got[0].Info[0].Headline != "Rest centre open" || got[0].Info[0].Severity != "Unknown" || got[0].Info[0].Category[0] != "Met" { // no event: the runbook's id, flood
		t.Errorf("alerts = %+v, want the public message alone, ungraded", got)
	}
}
