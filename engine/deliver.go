package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

// Deliverer hands pending deliveries to a notifier. It records the attempt
// before sending and the outcome after, each as one command for the whole
// batch. (The paced, retrying dispatcher for real services is built on the
// same hand-off.)
type Deliverer struct {
	Engine   *Engine
	Notifier notifiers.Notifier
}

// Follow has the scheduler run Deliver whenever a message is dispatched,
// at that moment in the activation's own time.
func (d *Deliverer) Follow(s *Scheduler, log *slog.Logger) {
	d.Engine.OnCommit(func(c Committed) {
		for _, ev := range c.Events {
			if ev.Kind == "message_dispatched" {
				s.At(ev.At, ev.ActivationID, func(ctx context.Context, now time.Time) {
					if err := d.Deliver(ctx, now); err != nil {
						log.Error("delivering", "err", err)
					}
				})
			}
		}
	})
}

// Deliver sends every pending delivery once, stamping its commands at now.
func (d *Deliverer) Deliver(ctx context.Context, now time.Time) error {
	pending, err := d.Engine.Read().DeliveriesInState(nil, state.DeliveryPending)
	if err != nil || len(pending) == 0 {
		return err
	}
	attempts := make([]Outcome, len(pending))
	for i, p := range pending {
		attempts[i] = Outcome{Delivery: p.ID, State: state.DeliveryAttempted}
	}
	if _, err := d.Engine.Apply(ctx, &RecordOutcomes{Meta: Meta{Actor: "dispatcher", At: now}, Outcomes: attempts}); err != nil {
		return err
	}
	tx := d.Engine.Read()
	var outcomes []Outcome
	for _, p := range pending {
		// Only what the attempt command moved on is sent: a stand-down
		// between reading and recording cancels the rest.
		m, err := d.message(tx, p.ID)
		if err != nil {
			return err
		}
		if m == nil {
			continue
		}
		o := Outcome{Delivery: p.ID, State: state.DeliverySent}
		if _, err := d.Notifier.Notify(ctx, *m); err != nil {
			o.State, o.Error = state.DeliveryFailed, err.Error()
		}
		outcomes = append(outcomes, o)
	}
	if len(outcomes) == 0 {
		return nil
	}
	_, err = d.Engine.Apply(ctx, &RecordOutcomes{Meta: Meta{Actor: "dispatcher", At: now}, Outcomes: outcomes})
	return err
}

// message builds what a notifier sends for an attempted delivery, or nil.
func (d *Deliverer) message(tx *state.Txn, id string) (*notifiers.Message, error) {
	dl, err := tx.Delivery(nil, id)
	if err != nil || dl == nil || dl.State != state.DeliveryAttempted {
		return nil, err
	}
	m, err := tx.Message(nil, dl.MessageID)
	if err != nil || m == nil {
		return nil, err
	}
	a, err := tx.Activation(nil, dl.ActivationID)
	if err != nil || a == nil {
		return nil, err
	}
	rev := m.Revisions[dl.Revision-1]
	if tr, ok := m.Translations[dl.Language]; ok && dl.Language != "" {
		rev.Subject, rev.Body = tr.Subject, tr.Body
	}
	return &notifiers.Message{
		Delivery: dl.ID, Activation: a.ID, Runbook: a.Runbook, Step: m.Step, Exercise: a.Exercise(),
		Type: dl.Type, Channel: dl.Channel, Target: dl.Target, Stakeholder: dl.Stakeholder,
		Language: dl.Language, Subject: rev.Subject, Body: rev.Body,
	}, nil
}
