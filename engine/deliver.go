package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/runbooks"
)

// Deliverer hands deliveries to a dispatcher and keeps the record of each
// send: the attempt before it and the outcome after, each as one command
// for the messages sent together.
type Deliverer struct {
	engine     *Engine
	dispatcher *notifiers.Dispatcher
	log        *slog.Logger
	// Settle has each hand-off wait until its messages are sent or have
	// failed before the scheduler goes on: in an instant drill, delivering
	// takes no scenario time.
	Settle bool
	// ApprovalsChannel, when set, is the Slack channel where each draft
	// held for approval is posted with Approve and Reject buttons.
	ApprovalsChannel string
	// AckLink, when set, gives a delivery its own acknowledgement link
	// (or ""): the server's signed links for emails.
	AckLink func(notifiers.Message) string
	// MessageLink, when set, gives a delivery its message's page on crier,
	// where a notifier that must shorten a message points for the rest.
	MessageLink func(notifiers.Message) string

	receipts *receipts

	mu           sync.Mutex
	queued       map[string]bool // deliveries with the dispatcher now
	feeds        map[string]*listFeed
	messageFeeds map[string]*messageFeed // by message
	unhook       func()
}

// NewDeliverer makes a deliverer sending through a dispatcher with opts;
// Run starts it.
func NewDeliverer(e *Engine, opts notifiers.DispatchOptions) *Deliverer {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	d := &Deliverer{engine: e, log: opts.Log, queued: map[string]bool{}, feeds: map[string]*listFeed{}, messageFeeds: map[string]*messageFeed{},
		receipts: newReceipts(e, opts.Routes, opts.Log)}
	d.dispatcher = notifiers.NewDispatcher(opts, (*record)(d))
	return d
}

// Run sends, and follows what became of what was sent, until ctx ends;
// then it hears no more.
func (d *Deliverer) Run(ctx context.Context) error {
	defer func() {
		if d.unhook != nil {
			d.unhook()
		}
	}()
	followed := make(chan struct{})
	go func() { d.receipts.run(ctx); close(followed) }()
	defer func() { <-followed }()
	return d.dispatcher.Run(ctx)
}

// Follow has the scheduler hand a message's deliveries over as soon as it
// is dispatched, and each draft held for approval to the approvals
// channel, at that moment in the activation's own time.
func (d *Deliverer) Follow(s *Scheduler) {
	d.unhook = d.engine.OnCommit(func(c Committed) {
		for _, ev := range c.Events {
			var handOff func(context.Context, string) error
			switch {
			case ev.Kind == "message_dispatched":
				handOff = d.handOff
			case (ev.Kind == "message_drafted" || ev.Kind == "message_edited" || ev.Kind == "message_redrafted") && d.ApprovalsChannel != "":
				handOff = d.requestApproval
			default:
				continue
			}
			message := ev.Subject
			s.At(ev.At, ev.ActivationID, func(ctx context.Context, _ time.Time) {
				if err := handOff(ctx, message); err != nil {
					d.log.Error("handing deliveries over", "message", message, "err", err)
				}
			})
		}
	})
}

// Resume puts back the deliveries a stop caught in flight (marked as
// possibly duplicated) and hands over every delivery waiting to be sent:
// what crier does first when it starts on a record, or a node takes the
// lead. Run sends them.
func (d *Deliverer) Resume(ctx context.Context) error {
	if _, err := d.engine.Apply(ctx, &ResumeDeliveries{Meta: Meta{Actor: "dispatcher"}}); err != nil {
		return err
	}
	if err := d.receipts.resume(); err != nil {
		return err
	}
	pending, err := d.engine.Read().DeliveriesInState(nil, state.DeliveryPending)
	if err != nil {
		return err
	}
	return d.submit(ctx, pending)
}

// Deliver hands over every pending delivery and waits until each has been
// sent or has failed.
func (d *Deliverer) Deliver(ctx context.Context) error {
	pending, err := d.engine.Read().DeliveriesInState(nil, state.DeliveryPending)
	if err != nil {
		return err
	}
	if err := d.submit(ctx, pending); err != nil {
		return err
	}
	return d.dispatcher.Flush(ctx)
}

// handOff submits one message's pending deliveries.
func (d *Deliverer) handOff(ctx context.Context, message string) error {
	deliveries, err := d.engine.Read().DeliveriesOf(nil, message)
	if err != nil {
		return err
	}
	if err := d.submit(ctx, deliveries); err != nil {
		return err
	}
	if d.Settle {
		return d.dispatcher.Flush(ctx)
	}
	return nil
}

func (d *Deliverer) submit(ctx context.Context, deliveries []*state.Delivery) error {
	tx := d.engine.Read()
	var lists []*state.Delivery
	var order []string // messages, as they first came
	byMessage := map[string][]*state.Delivery{}
	d.mu.Lock()
	for _, dl := range deliveries {
		switch {
		case dl.State != state.DeliveryPending || d.queued[dl.ID] || d.messageFeeds[dl.MessageID] != nil:
		case dl.List != "":
			lists = append(lists, dl)
		default:
			if byMessage[dl.MessageID] == nil {
				order = append(order, dl.MessageID)
			}
			byMessage[dl.MessageID] = append(byMessage[dl.MessageID], dl)
		}
	}
	var ms []notifiers.Message
	for _, id := range order {
		of := byMessage[id]
		from, err := d.contextOf(tx, of[0])
		if err != nil {
			d.mu.Unlock()
			return err
		}
		if len(of) > feedWindow { // a large fan-out: a window at a time
			ms = append(ms, d.feed(from, of)...)
			continue
		}
		for _, dl := range of {
			d.queued[dl.ID] = true
			ms = append(ms, d.messageOf(from, dl))
		}
	}
	d.mu.Unlock()
	d.dispatcher.Submit(ms...)
	for _, dl := range lists {
		if err := d.feedList(ctx, tx, dl); err != nil {
			return err
		}
	}
	return nil
}

// messageOf is what the dispatcher sends for a delivery, with its links.
func (d *Deliverer) messageOf(from *messageContext, dl *state.Delivery) notifiers.Message {
	m := from.message(dl)
	if d.AckLink != nil {
		m.AckURL = d.AckLink(m)
	}
	if d.MessageLink != nil {
		m.Link = d.MessageLink(m)
	}
	return m
}

// messageContext is what a message's deliveries share.
type messageContext struct {
	m   *state.Message
	a   *state.Activation
	ack bool // the stakeholders reached are asked to acknowledge
}

func (d *Deliverer) contextOf(tx *state.Txn, dl *state.Delivery) (*messageContext, error) {
	m, err := tx.Message(nil, dl.MessageID)
	if err != nil {
		return nil, err
	}
	a, err := tx.Activation(nil, dl.ActivationID)
	if err != nil {
		return nil, err
	}
	rb, err := d.engine.fsm.runbook(a)
	if err != nil {
		return nil, err
	}
	return &messageContext{m: m, a: a, ack: asksForAck(rb, m)}, nil
}

// asksForAck reports whether the people a message reaches are asked to
// acknowledge it: a task's notice, and a message whose step says so — not
// an escalation notice about either.
func asksForAck(rb *runbooks.Runbook, m *state.Message) bool {
	s, ok := rb.Step(m.Step)
	return ok && m.About == "" && (s.Task != nil || s.Notify != nil && s.Notify.AckWithin != nil)
}

// message builds what a notifier sends for one delivery.
func (c *messageContext) message(dl *state.Delivery) notifiers.Message {
	rev := c.m.Revisions[dl.Revision-1]
	if tr, ok := c.m.TranslationsOf(rev)[dl.Language]; ok && dl.Language != "" {
		rev.Subject, rev.Body = tr.Subject, tr.Body
	}
	return notifiers.Message{
		Delivery: dl.ID, Message: c.m.ID, Activation: c.a.ID, Runbook: c.a.Runbook, Step: c.m.Step, Exercise: c.a.Exercise(),
		Type: dl.Type, Channel: dl.Channel, Target: dl.Target, Stakeholder: dl.Stakeholder,
		Language: dl.Language, Revision: dl.Revision, Subject: rev.Subject, Body: rev.Body,
		AckRequested: c.ack && dl.Stakeholder != "",
	}
}

// requestApproval posts a draft's current revision to the approvals
// channel — in a sealed exercise, to its redirect's Slack channels, or
// nowhere when the exercise's bounds do not allow the channel. The request
// is not a delivery of the message: it is sent, paced and retried like
// one, but only its failure is kept, in the log.
func (d *Deliverer) requestApproval(ctx context.Context, message string) error {
	tx := d.engine.Read()
	m, err := tx.Message(nil, message)
	if err != nil || m == nil || m.State != state.MessagePendingApproval {
		return err
	}
	a, err := tx.Activation(nil, m.ActivationID)
	if err != nil {
		return err
	}
	rb, err := d.engine.fsm.runbook(a)
	if err != nil {
		return err
	}
	rev := m.Current()
	for i, channel := range sealOf(a, rb, d.engine.view()).approvalsTo(d.ApprovalsChannel) {
		id := fmt.Sprintf("%s/r%d/approval-request", m.ID, rev.N)
		if i > 0 {
			id += fmt.Sprintf("/%d", i)
		}
		d.dispatcher.Submit(notifiers.Message{
			Delivery: id, Message: m.ID, Kind: notifiers.KindApprovalRequest,
			Activation: a.ID, Runbook: a.Runbook, Step: m.Step, Exercise: a.Exercise(), Type: "slack",
			Target: channel, Revision: rev.N, Subject: rev.Subject, Body: rev.Body,
		})
	}
	if d.Settle {
		return d.dispatcher.Flush(ctx)
	}
	return nil
}

// record is the Deliverer's side of the dispatcher: the commands that keep
// the record of each send.
type record Deliverer

// Attempting implements notifiers.Recorder: it records the attempt and
// lets go only the deliveries the record moved on (a stand-down in
// between cancels the rest).
func (r *record) Attempting(ctx context.Context, ms []notifiers.Message) ([]notifiers.Message, error) {
	var attempts []Outcome
	for _, m := range ms {
		if m.Kind == notifiers.KindMessage {
			attempts = append(attempts, Outcome{Delivery: m.Delivery, State: state.DeliveryAttempted})
		}
	}
	if len(attempts) == 0 {
		return ms, nil // approval requests are not deliveries: nothing to record
	}
	if _, err := r.engine.Apply(ctx, &RecordOutcomes{Meta: Meta{Actor: "dispatcher"}, Outcomes: attempts}); err != nil {
		return nil, err
	}
	tx := r.engine.Read()
	var allowed []notifiers.Message
	var dropped []string
	for _, m := range ms {
		if m.Kind != notifiers.KindMessage {
			allowed = append(allowed, m)
			continue
		}
		id, row, isRow := state.SplitRowDeliveryID(m.Delivery)
		dl, err := tx.Delivery(nil, id)
		if err != nil {
			return nil, err
		}
		if isRow && dl != nil && dl.State == state.DeliveryPending && dl.Rows != nil && dl.Rows.IsAttempted(row) ||
			!isRow && dl != nil && dl.State == state.DeliveryAttempted {
			allowed = append(allowed, m)
		} else {
			dropped = append(dropped, m.Delivery)
		}
	}
	r.forget(dropped...)
	return allowed, nil
}

// Finished implements notifiers.Recorder.
func (r *record) Finished(ctx context.Context, outcomes []notifiers.Outcome) {
	var done []Outcome
	var ids []string
	for _, o := range outcomes {
		if o.Message.Kind != notifiers.KindMessage {
			continue // an approval request's failure is in the log already
		}
		out := Outcome{Delivery: o.Message.Delivery, State: state.DeliverySent, Ref: o.Ref}
		if o.Err != nil {
			out.State, out.Error = state.DeliveryFailed, o.Err.Error()
		}
		done = append(done, out)
		ids = append(ids, o.Message.Delivery)
	}
	if len(done) == 0 {
		return
	}
	// Recorded whatever ctx says: a send that happened must not go
	// unrecorded because the service is stopping.
	ctx = context.WithoutCancel(ctx)
	recorded := map[string]bool{}
	record := func(done []Outcome) error {
		_, err := r.engine.Apply(ctx, &RecordOutcomes{Meta: Meta{Actor: "dispatcher"}, Outcomes: done})
		for _, o := range done {
			recorded[o.Delivery] = err == nil
		}
		return err
	}
	if err := record(done); err != nil && len(done) > 1 {
		// The command fails whole: one outcome the record refuses must not
		// leave the others unrecorded, so each is tried on its own.
		for _, o := range done {
			if err := record([]Outcome{o}); err != nil {
				r.log.Error("recording a delivery's outcome", "delivery", o.Delivery, "err", err)
			}
		}
	} else if err != nil {
		r.log.Error("recording a delivery's outcome", "delivery", done[0].Delivery, "err", err)
	}
	for _, o := range outcomes {
		if o.Err == nil && o.Ref != "" && recorded[o.Message.Delivery] {
			r.receipts.follow(o.Message.Delivery, o.Message.Type, o.Ref, time.Now())
		}
	}
	r.forget(ids...)
}

func (r *record) forget(ids ...string) {
	r.mu.Lock()
	for _, id := range ids {
		delete(r.queued, id)
	}
	r.mu.Unlock()
	(*Deliverer)(r).rowsFinished(ids)
	(*Deliverer)(r).deliveriesFinished(ids)
}
