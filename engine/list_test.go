package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

const listDirectory = `kind: directory
version: 1
people:
  - {id: asha, name: Asha Patel, email: asha@northbridge.example}
lists:
  - {id: vulnerable, name: Vulnerable residents, file: lists/vulnerable.csv}
`

const textsTheList = `version: 1
id: texts-the-list
title: Texts the vulnerable residents
stakeholders:
  - {id: asha, person: asha}
channels:
  - {id: residents-sms, type: sms, to: ["list:vulnerable"]}
audiences:
  - {id: residents, channels: [residents-sms], languages: [cy]}
steps:
  - id: warn
    title: Flood warning
    at: 0s
    notify:
      to: [residents]
      body: Flood warning for the river Brid. Move to higher ground.
      translations:
        cy: {body: Rhybudd llifogydd ar afon Brid.}
`

// residents is a list of n rows; every seventh has no phone, every
// tenth reads Welsh.
func residents(n int) (string, int) {
	var b strings.Builder
	b.WriteString("name,email,phone,language\n")
	phones := 0
	for i := range n {
		phone, lang := fmt.Sprintf("+447700%06d", i), ""
		if i%7 == 3 {
			phone = ""
		} else {
			phones++
		}
		if i%10 == 0 {
			lang = "cy"
		}
		fmt.Fprintf(&b, "Resident %d,r%d@example.org,%s,%s\n", i, i, phone, lang)
	}
	return b.String(), phones
}

func drillTheList(t *testing.T, rows int, n notifiers.Notifier) (*Engine, string) {
	t.Helper()
	csv, _ := residents(rows)
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: []byte(textsTheList), SourceName: "t.yaml", Start: start, Instant: true, Horizon: time.Hour,
		Dispatch: to(n), Log: quiet(), Directory: []byte(listDirectory), DirectoryName: "directory.yaml",
		ListFiles: fstest.MapFS{"lists/vulnerable.csv": {Data: []byte(csv)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, id
}

func TestAListIsReachedRowByRow(t *testing.T) {
	sent := &recorder{}
	e, id := drillTheList(t, 5000, sent)
	_, phones := residents(5000)
	if len(sent.got) != phones {
		t.Fatalf("%d texts sent, want one to each of the %d rows with a phone", len(sent.got), phones)
	}
	seen := map[string]bool{}
	for _, m := range sent.got {
		_, row, ok := state.SplitRowDeliveryID(m.Delivery)
		i := row - state.FirstRow
		if !ok || m.Target != fmt.Sprintf("+447700%06d", i) || seen[m.Target] {
			t.Fatalf("delivery %s went to %s, not row %d's number once", m.Delivery, m.Target, row)
		}
		seen[m.Target] = true
		welsh := strings.Contains(m.Body, "Rhybudd")
		if welsh != (i%10 == 0) || welsh != (m.Language == "cy") {
			t.Errorf("row %d (language %q) was sent %q", row, m.Language, m.Body)
		}
	}
	m, _ := e.Read().Message(nil, OccurrenceID(id, "warn", 1))
	if m.State != state.MessageSent || m.Sent != phones || m.Failed != 0 {
		t.Errorf("the message is %s, %d sent, %d failed; want sent to %d", m.State, m.Sent, m.Failed, phones)
	}
	ds, _ := e.Read().DeliveriesOf(nil, m.ID)
	if len(ds) != 1 || ds[0].Rows == nil || ds[0].Rows.Count != 5000 || ds[0].Rows.Contacts != phones || ds[0].Target != "list:vulnerable" {
		t.Fatalf("the record holds %d deliveries; want one to the list, with its rows counted: %+v", len(ds), ds[0])
	}
	if len(ds[0].Rows.SHA256) != 64 {
		t.Errorf("the list's checksum is not recorded: %q", ds[0].Rows.SHA256)
	}
}

// failing refuses texts to some numbers for good.
type failing struct {
	recorder
	refuse func(notifiers.Message) bool
}

func (f *failing) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	if f.refuse(m) {
		return false, errors.New("the number is not a mobile")
	}
	return f.recorder.Notify(ctx, m)
}

func TestAListsFailedRowsAreNamed(t *testing.T) {
	n := &failing{refuse: func(m notifiers.Message) bool {
		return strings.HasSuffix(m.Target, "0042") || strings.HasSuffix(m.Target, "0100")
	}}
	e, id := drillTheList(t, 300, n)
	m, _ := e.Read().Message(nil, OccurrenceID(id, "warn", 1))
	ds, _ := e.Read().DeliveriesOf(nil, m.ID)
	if m.State != state.MessagePartiallyFailed || m.Failed != 2 {
		t.Fatalf("the message is %s with %d failed; want partially failed, 2", m.State, m.Failed)
	}
	// Contacts 42 and 100 are on spreadsheet rows 44 and 102.
	if got := ds[0].Error; !strings.Contains(got, "2 failed (rows 44, 102)") || strings.Contains(got, "+44") {
		t.Errorf("the delivery says %q; want the failed rows named, and no number", got)
	}
}

func TestRowsCaughtInFlightAreSentAgainAndMarked(t *testing.T) {
	csv, _ := residents(10)
	e2, err := Open(context.Background(), Options{Clock: NewVirtualClock(start), ListFiles: fstest.MapFS{"lists/vulnerable.csv": {Data: []byte(csv)}}})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, e2, &SetDirectory{Source: []byte(listDirectory), Name: "directory.yaml"})
	id := ActivationID(apply(t, e2, &Activate{Source: []byte(textsTheList), SourceName: "t.yaml", Mode: "live"}))
	occ := OccurrenceID(id, "warn", 1)
	ds, _ := e2.Read().DeliveriesOf(nil, occ)
	dl := ds[0].ID
	apply(t, e2, &RecordOutcomes{Outcomes: []Outcome{{Delivery: dl, State: ListOpened, Rows: 10, Contacts: 8, SHA256: "abc"}}})
	apply(t, e2, &RecordOutcomes{Outcomes: []Outcome{
		{Delivery: state.RowDeliveryID(dl, 2), State: state.DeliveryAttempted},
		{Delivery: state.RowDeliveryID(dl, 3), State: state.DeliveryAttempted},
		{Delivery: state.RowDeliveryID(dl, 2), State: state.DeliverySent},
	}})
	apply(t, e2, &ResumeDeliveries{})
	d, _ := e2.Read().Delivery(nil, dl)
	if d.Rows.IsAttempted(3) || !d.Rows.IsDone(2) || d.Rows.Duplicated != 1 || !d.PossiblyDuplicated {
		t.Errorf("after a stop: row 3 attempted %v, row 2 done %v, %d duplicated", d.Rows.IsAttempted(3), d.Rows.IsDone(2), d.Rows.Duplicated)
	}
	if m, _ := e2.Read().Message(nil, occ); m.Outstanding != 7 || m.Sent != 1 {
		t.Errorf("the message waits for %d rows with %d sent; want 7 and 1", m.Outstanding, m.Sent)
	}
}

// A service's refusal that repeats a row's number is recorded without it.
func TestARowsNumberIsNotRecordedInItsFailure(t *testing.T) {
	n := &failing{refuse: func(m notifiers.Message) bool { return strings.HasSuffix(m.Target, "0042") }}
	n2 := refusingWith{n}
	e, id := drillTheList(t, 60, n2)
	ds, _ := e.Read().DeliveriesOf(nil, OccurrenceID(id, "warn", 1))
	for row, why := range ds[0].Rows.Errors {
		if strings.Contains(why, "+447700") || !strings.Contains(why, "[the row's contact]") {
			t.Errorf("row %d failed with %q", row, why)
		}
	}
	if len(ds[0].Rows.Errors) != 1 {
		t.Errorf("failed rows: %v", ds[0].Rows.Errors)
	}
}

// refusingWith repeats the number in its refusal, as services do.
type refusingWith struct{ *failing }

func (r refusingWith) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	if r.refuse(m) {
		return false, fmt.Errorf("400 phone_number %s is not a mobile number", m.Target)
	}
	return r.recorder.Notify(ctx, m)
}

// A list whose file could not be read fails its message's delivery, on
// the record, rather than leave it waiting.
func TestAListThatCannotBeReadFails(t *testing.T) {
	sent := &recorder{}
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: []byte(textsTheList), SourceName: "t.yaml", Start: start, Instant: true, Horizon: time.Hour,
		Dispatch: to(sent), Log: quiet(), Directory: []byte(listDirectory), DirectoryName: "directory.yaml",
		ListFiles: fstest.MapFS{},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := e.Read().Message(nil, OccurrenceID(id, "warn", 1))
	ds, _ := e.Read().DeliveriesOf(nil, m.ID)
	if m.State != state.MessageFailed || len(ds) != 1 || ds[0].State != state.DeliveryFailed || !strings.Contains(ds[0].Error, `contact list "vulnerable" could not be read`) {
		t.Errorf("message %s, deliveries %+v", m.State, ds)
	}
	if len(sent.got) != 0 {
		t.Errorf("%d sent", len(sent.got))
	}
}
