package engine

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/notifiers/sms"
	"github.com/crierhq/crier/notifiers/sms/notifytest"
)

const textsRunbook = `version: 1
id: texts
title: Flood wardens
stakeholders:
  - {id: warden-a, name: Warden A, phone: "+447700900101"}
  - {id: warden-b, name: Warden B, phone: "+447700900102"}
  - {id: warden-c, name: Warden C, phone: "+447700900103"}
channels:
  - {id: log, type: log}
steps:
  - id: warn
    title: Flood warning
    at: 0s
    notify: {to: [warden-a, warden-b, warden-c], body: "Flood warning for Riverside. Check on the residents on your list."}
`

// Texts Notify accepted are followed until Notify says what became of
// them: delivered to the phone, or not delivered by the network.
func TestTextReceiptsAreRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const service, secret = "26785a09-ab16-4eb0-8407-a37497a57506", "3d844edf-8d35-48ac-975b-e847b4f122b0"
		notify := &notifytest.Server{ServiceID: service, Secret: secret, TemplateID: "f33517ff-2a88-4f6e-b855-c550268ce08a"}
		notify.Fate("+447700900102", "sending", "sending", "permanent-failure")
		notify.Fate("+447700900103", "sending", "sending", "sending", "sending", "sending", "sending", "sending", "sending", "delivered")
		n := &sms.Notifier{Client: notify.Client(), APIKey: "key-" + service + "-" + secret,
			TemplateID: notify.TemplateID, BaseURL: sms.DefaultBaseURL, Now: time.Now}
		e, clock := newEngine(t, nil)
		s, _ := NewScheduler(e, clock, quiet())
		d := NewDeliverer(e, notifiers.DispatchOptions{Routes: map[string]notifiers.Route{"sms": {Notifier: n}},
			Default: &notifiers.Route{Notifier: &recorder{}}})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go d.Run(ctx)
		id := ActivationID(apply(t, e, &Activate{Source: []byte(textsRunbook), SourceName: "t.yaml", Mode: "live"}))
		s.RunInstant(ctx, clock, start)
		if err := d.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		states := func() map[string]string {
			deliveries, _ := e.Read().DeliveriesOf(nil, OccurrenceID(id, "warn", 1))
			out := map[string]string{}
			for _, dl := range deliveries {
				out[dl.Target] = dl.State + " " + dl.Receipt
			}
			return out
		}
		// Asked after at 10s, 40s and 1m40s: by five minutes the first is
		// delivered and the second failed at the network.
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		got := states()
		if got["+447700900101"] != "delivered delivered to the phone (delivered)" ||
			!strings.HasPrefix(got["+447700900102"], "undelivered ") || !strings.Contains(got["+447700900102"], "permanent-failure") ||
			got["+447700900103"] != "sent " {
			t.Errorf("five minutes on: %q", got)
		}
		// crier restarts: the slow one, sent before, is asked after again.
		cancel()
		synctest.Wait()
		ctx, cancel = context.WithCancel(t.Context())
		defer cancel()
		d = NewDeliverer(e, notifiers.DispatchOptions{Routes: map[string]notifiers.Route{"sms": {Notifier: n}},
			Default: &notifiers.Route{Notifier: &recorder{}}})
		if err := d.Resume(ctx); err != nil {
			t.Fatal(err)
		}
		go d.Run(ctx)
		// At gaps growing to an hour, by its ninth question.
		time.Sleep(4 * time.Hour)
		synctest.Wait()
		if got := states()["+447700900103"]; got != "delivered delivered to the phone (delivered)" {
			t.Errorf("four hours on, the slow text: %q", got)
		}
		if asked := notify.Requests(); asked != 3 {
			t.Errorf("%d texts sent, want 3 (questions are not sends)", asked)
		}
		events, _ := e.Read().EventsOf(nil, id)
		var undelivered int
		for _, ev := range events {
			if ev.Kind == "delivery_undelivered" {
				undelivered++
			}
		}
		if undelivered != 1 {
			t.Errorf("%d delivery_undelivered events, want 1", undelivered)
		}
		cancel()
		if m, _ := e.Read().Message(nil, OccurrenceID(id, "warn", 1)); m.State != state.MessageSent {
			t.Errorf("message %s", m.State)
		}
	})
}
