package state

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
)

var t0 = time.Date(2026, 5, 22, 22, 31, 0, 0, time.UTC)

// seed writes two activations' worth of records.
func seed(t *testing.T) *Store {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tx := s.Write()
	defer tx.Abort()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []*Activation{
		{ID: "a1", Runbook: "major-incident", Mode: "live", State: ActivationActive, StartedAt: t0},
		{ID: "a2", Runbook: "flood-warning", Mode: "exercise", State: ActivationStoodDown, StartedAt: t0},
	} {
		must(tx.UpsertActivation(a))
	}
	must(tx.UpsertOccurrence(&Occurrence{ID: "a1/o1", ActivationID: "a1", Step: "declare", State: OccurrenceFired}))
	must(tx.UpsertOccurrence(&Occurrence{ID: "a1/o2", ActivationID: "a1", Step: "holding", State: OccurrencePending}))
	must(tx.UpsertOccurrence(&Occurrence{ID: "a2/o1", ActivationID: "a2", Step: "alert", State: OccurrencePending}))
	must(tx.UpsertMessage(&Message{ID: "a1/m1", ActivationID: "a1", State: MessagePendingApproval, Revisions: []Revision{{N: 1}}}))
	must(tx.UpsertMessage(&Message{ID: "a2/m1", ActivationID: "a2", State: MessageSent, Revisions: []Revision{{N: 1}}}))
	must(tx.UpsertApproval(&Approval{ID: "a1/p1", MessageID: "a1/m1", Revision: 1, By: "duty-comms"}))
	must(tx.UpsertDelivery(&Delivery{ID: DeliveryID("a1/m1", 1, 0), ActivationID: "a1", MessageID: "a1/m1", State: DeliveryPending}))
	must(tx.UpsertDelivery(&Delivery{ID: DeliveryID("a2/m1", 1, 0), ActivationID: "a2", MessageID: "a2/m1", State: DeliverySent, Ref: "notify-1"}))
	// An escalation notice about a1/m1 has an id that starts the same way.
	must(tx.UpsertMessage(&Message{ID: "a1/m1/approval_check/1", ActivationID: "a1", State: MessageSent, Revisions: []Revision{{N: 1}}}))
	must(tx.UpsertDelivery(&Delivery{ID: DeliveryID("a1/m1/approval_check/1", 1, 0), ActivationID: "a1", MessageID: "a1/m1/approval_check/1", State: DeliverySent}))
	must(tx.UpsertAcknowledgement(&Acknowledgement{ID: "a1/k1", ActivationID: "a1", SubjectID: "a1/m1", Stakeholder: "police"}))
	must(tx.UpsertTask(&Task{ID: "a1/t1", ActivationID: "a1", State: TaskOpen}))
	must(tx.UpsertTask(&Task{ID: "a2/t1", ActivationID: "a2", State: TaskDone}))
	must(tx.UpsertEscalation(&Escalation{ID: "a1/e1", ActivationID: "a1", SubjectID: "a1/m1"}))
	must(tx.UpsertDecision(&Decision{ID: "a1/c1", ActivationID: "a1", Decision: "open rest centre"}))
	must(tx.AppendEvent(&Event{ID: EventID(2, 0), ActivationID: "a1", Kind: "step_fired"}))
	must(tx.AppendEvent(&Event{ID: EventID(1, 0), ActivationID: "a1", Kind: "activated"}))
	must(tx.AppendEvent(&Event{ID: EventID(1, 1), ActivationID: "a2", Kind: "activated"}))
	must(tx.Commit())
	return s
}

func ids[T any](items []*T, id func(*T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func TestIndexes(t *testing.T) {
	s := seed(t)
	tx := s.Read()
	ws := memdb.NewWatchSet()
	for _, tc := range []struct {
		name string
		got  func() ([]string, error)
		want []string
	}{
		{"activations by id", func() ([]string, error) {
			a, err := tx.Activations(ws)
			return ids(a, func(x *Activation) string { return x.ID }), err
		}, []string{"a1", "a2"}},
		{"activations by state", func() ([]string, error) {
			a, err := tx.ActivationsInState(ws, ActivationActive)
			return ids(a, func(x *Activation) string { return x.ID }), err
		}, []string{"a1"}},
		{"occurrences by activation", func() ([]string, error) {
			o, err := tx.OccurrencesOf(ws, "a1")
			return ids(o, func(x *Occurrence) string { return x.ID }), err
		}, []string{"a1/o1", "a1/o2"}},
		{"occurrences by state", func() ([]string, error) {
			o, err := tx.OccurrencesInState(ws, OccurrencePending)
			return ids(o, func(x *Occurrence) string { return x.ID }), err
		}, []string{"a1/o2", "a2/o1"}},
		{"messages by activation", func() ([]string, error) {
			m, err := tx.MessagesOf(ws, "a1")
			return ids(m, func(x *Message) string { return x.ID }), err
		}, []string{"a1/m1", "a1/m1/approval_check/1"}},
		{"messages by state", func() ([]string, error) {
			m, err := tx.MessagesInState(ws, MessagePendingApproval)
			return ids(m, func(x *Message) string { return x.ID }), err
		}, []string{"a1/m1"}},
		{"approvals by message", func() ([]string, error) {
			a, err := tx.ApprovalsOf(ws, "a1/m1")
			return ids(a, func(x *Approval) string { return x.ID }), err
		}, []string{"a1/p1"}},
		{"deliveries by message, by id prefix", func() ([]string, error) {
			d, err := tx.DeliveriesOf(ws, "a1/m1")
			return ids(d, func(x *Delivery) string { return x.ID }), err
		}, []string{"a1/m1/r1/000"}},
		{"deliveries of an activation, through its messages", func() ([]string, error) {
			d, err := tx.DeliveriesOfActivation(ws, "a1")
			return ids(d, func(x *Delivery) string { return x.ID }), err
		}, []string{"a1/m1/r1/000", "a1/m1/approval_check/1/r1/000"}},
		{"deliveries by state", func() ([]string, error) {
			d, err := tx.DeliveriesInState(ws, DeliveryPending)
			return ids(d, func(x *Delivery) string { return x.ID }), err
		}, []string{"a1/m1/r1/000"}},
		{"finished deliveries leave the state index", func() ([]string, error) {
			d, err := tx.DeliveriesInState(ws, DeliveryAttempted)
			return ids(d, func(x *Delivery) string { return x.ID }), err
		}, []string{}},
		{"deliveries awaiting a receipt", func() ([]string, error) {
			d, err := tx.DeliveriesAwaitingReceipt(ws)
			return ids(d, func(x *Delivery) string { return x.ID }), err
		}, []string{"a2/m1/r1/000"}},
		{"acknowledgements by subject", func() ([]string, error) {
			k, err := tx.AcknowledgementsOf(ws, "a1/m1")
			return ids(k, func(x *Acknowledgement) string { return x.ID }), err
		}, []string{"a1/k1"}},
		{"tasks by activation", func() ([]string, error) {
			k, err := tx.TasksOf(ws, "a2")
			return ids(k, func(x *Task) string { return x.ID }), err
		}, []string{"a2/t1"}},
		{"tasks by state", func() ([]string, error) {
			k, err := tx.TasksInState(ws, TaskOpen)
			return ids(k, func(x *Task) string { return x.ID }), err
		}, []string{"a1/t1"}},
		{"escalations by activation", func() ([]string, error) {
			e, err := tx.EscalationsOf(ws, "a1")
			return ids(e, func(x *Escalation) string { return x.ID }), err
		}, []string{"a1/e1"}},
		{"escalations by subject", func() ([]string, error) {
			e, err := tx.EscalationsAbout(ws, "a1/m1")
			return ids(e, func(x *Escalation) string { return x.ID }), err
		}, []string{"a1/e1"}},
		{"decisions by activation", func() ([]string, error) {
			d, err := tx.DecisionsOf(ws, "a1")
			return ids(d, func(x *Decision) string { return x.Decision }), err
		}, []string{"open rest centre"}},
		{"events by activation, in log order", func() ([]string, error) {
			e, err := tx.EventsOf(ws, "a1")
			return ids(e, func(x *Event) string { return x.Kind }), err
		}, []string{"activated", "step_fired"}},
		{"all events in log order", func() ([]string, error) {
			e, err := tx.Events(ws)
			return ids(e, func(x *Event) string { return x.ActivationID + ":" + x.Kind }), err
		}, []string{"a1:activated", "a2:activated", "a1:step_fired"}},
		{"nothing for an unknown activation", func() ([]string, error) {
			o, err := tx.OccurrencesOf(ws, "a9")
			return ids(o, func(x *Occurrence) string { return x.ID }), err
		}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.got()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGetByID(t *testing.T) {
	tx := seed(t).Read()
	ws := memdb.NewWatchSet()
	if a, err := tx.Activation(ws, "a2"); err != nil || a == nil || a.Runbook != "flood-warning" {
		t.Errorf("Activation(a2) = %+v, %v", a, err)
	}
	if a, err := tx.Activation(ws, "nope"); err != nil || a != nil {
		t.Errorf("Activation(nope) = %+v, %v; want nil", a, err)
	}
	if m, _ := tx.Message(ws, "a1/m1"); m == nil || m.Current().N != 1 {
		t.Errorf("Message = %+v", m)
	}
	if task, _ := tx.Task(ws, "a1/t1"); task == nil || task.State != TaskOpen {
		t.Errorf("Task = %+v", task)
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	s := seed(t)
	tx := s.Write()
	defer tx.Abort()
	if err := tx.AppendEvent(&Event{ID: EventID(1, 0), ActivationID: "a1", Kind: "rewritten"}); err == nil {
		t.Error("an event was overwritten")
	}
}

// A watch set fires when a record it read changes, for live views.
func TestWatchSetFiresOnChange(t *testing.T) {
	s := seed(t)
	ws := memdb.NewWatchSet()
	if _, err := s.Read().TasksOf(ws, "a1"); err != nil {
		t.Fatal(err)
	}
	tx := s.Write()
	if err := tx.UpsertTask(&Task{ID: "a1/t1", ActivationID: "a1", State: TaskAcknowledged}); err != nil {
		t.Fatal(err)
	}
	must(t, tx.Commit())
	if timedOut := ws.Watch(time.After(time.Second)); timedOut {
		t.Error("the watch set did not fire")
	}
}

// A snapshot holds every table, and restoring it gives the same state.
func TestSnapshotRestoresEveryTable(t *testing.T) {
	covered := map[string]bool{}
	for _, r := range rows() {
		covered[r.table] = true
	}
	for name := range Schema().Tables {
		if !covered[name] {
			t.Errorf("snapshots leave out table %s", name)
		}
	}
	s, _ := New()
	tx := s.Write()
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	must(t, tx.UpsertActivation(&Activation{ID: "a-000001", State: ActivationActive, Params: map[string]string{"area": "Eastfield"}, StartedAt: at}))
	must(t, tx.UpsertMessage(&Message{ID: "a-000001/statement/1", ActivationID: "a-000001", State: MessagePendingApproval,
		Revisions: []Revision{{N: 1, Subject: "Statement", Body: "We know.", At: at}}}))
	for i := range 25_000 { // more than one restore batch
		must(t, tx.UpsertDelivery(&Delivery{ID: DeliveryID("a-000001/statement/1", 1, i), ActivationID: "a-000001",
			MessageID: "a-000001/statement/1", Revision: 1, State: DeliverySent, UpdatedAt: at}))
	}
	must(t, tx.SetHead(3, [32]byte{1, 2, 3}))
	must(t, tx.Commit())
	var buf bytes.Buffer
	if err := s.Read().WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	restored, err := Restore(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Read().Dump()
	b, _ := restored.Read().Dump()
	if !reflect.DeepEqual(a, b) {
		t.Error("the restored state differs")
	}
	if h, _ := restored.Read().Head(nil); h.Index != 3 || h.Link != [32]byte{1, 2, 3} {
		t.Errorf("head %+v", h)
	}
	// A snapshot cut short is an error that says where, never half a state.
	if _, err := Restore(bytes.NewReader(buf.Bytes()[:buf.Len()/2])); err == nil || !strings.Contains(err.Error(), "deliveries record") {
		t.Errorf("a truncated snapshot: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Deliveries of one message share blocks: a block holding pending and
// finished deliveries lists only the pending by state, and leaves the
// index once the last is finished; a change in a transaction is seen by
// its own reads, and by nobody else's until it commits.
func TestDeliveriesShareBlocks(t *testing.T) {
	s, _ := New()
	tx := s.Write()
	for i, st := range []string{DeliveryPending, DeliverySent, DeliveryPending} {
		must(t, tx.UpsertDelivery(&Delivery{ID: DeliveryID("a1/m1", 1, i), MessageID: "a1/m1", State: st}))
	}
	must(t, tx.Commit())
	pending := func(tx *Txn) []string {
		ds, err := tx.DeliveriesInState(nil, DeliveryPending)
		must(t, err)
		return ids(ds, func(d *Delivery) string { return d.ID })
	}
	if got := pending(s.Read()); !slices.Equal(got, []string{"a1/m1/r1/000", "a1/m1/r1/002"}) {
		t.Errorf("pending: %v", got)
	}
	tx = s.Write()
	for _, n := range []int{0, 2} {
		d, _ := tx.Delivery(nil, DeliveryID("a1/m1", 1, n))
		sent := *d
		sent.State = DeliverySent
		must(t, tx.UpsertDelivery(&sent))
	}
	if d, _ := tx.Delivery(nil, DeliveryID("a1/m1", 1, 2)); d.State != DeliverySent {
		t.Errorf("the transaction reads its own change as %s", d.State)
	}
	if got := pending(s.Read()); len(got) != 2 {
		t.Errorf("another reader saw the change before it committed: %v", got)
	}
	if got := pending(tx); len(got) != 0 {
		t.Errorf("pending in the transaction after sending: %v", got)
	}
	must(t, tx.Commit())
	if got := pending(s.Read()); len(got) != 0 {
		t.Errorf("pending after sending: %v", got)
	}
	if ds, _ := s.Read().DeliveriesOf(nil, "a1/m1"); len(ds) != 3 {
		t.Errorf("the message's deliveries: %d", len(ds))
	}
}
