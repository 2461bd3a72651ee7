package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// Controller stands in for the people in a drill run without them: a set
// time after a message is held for approval it approves it, as many
// approvers as the step needs; a set time after a task opens it
// acknowledges and completes it; a set time after a message that asks for
// acknowledgement is sent, everyone it reached acknowledges it. Everything
// it does is recorded as done by the simulated controller.
type Controller struct {
	Engine    *Engine
	Scheduler *Scheduler
	After     time.Duration
	// AckAfter is when the people a message reached acknowledge it; with
	// NoAck they never do, and the escalation policy shows what follows.
	AckAfter time.Duration
	NoAck    bool
	Log      *slog.Logger
}

// actor is how the controller's commands are signed in the record.
const actor = "simulated-controller"

// Watch starts reacting to what the engine commits.
func (c *Controller) Watch() { c.Engine.OnCommit(c.react) }

func (c *Controller) react(done Committed) {
	for _, ev := range done.Events {
		ev := ev
		switch ev.Kind {
		case "message_drafted", "message_redrafted":
			c.Scheduler.At(ev.At.Add(c.After), ev.ActivationID, func(ctx context.Context, now time.Time) {
				c.approve(ctx, now, ev)
			})
		case "task_opened":
			c.Scheduler.At(ev.At.Add(c.After), ev.ActivationID, func(ctx context.Context, now time.Time) {
				c.finishTask(ctx, now, ev)
			})
		case "message_dispatched":
			if !c.NoAck {
				c.Scheduler.At(ev.At.Add(c.AckAfter), ev.ActivationID, func(ctx context.Context, now time.Time) {
					c.acknowledge(ctx, now, ev)
				})
			}
		}
	}
}

func (c *Controller) approve(ctx context.Context, now time.Time, ev *state.Event) {
	rb, err := c.Engine.Runbook(ev.ActivationID)
	if err != nil {
		c.Log.Error("simulated approval", "err", err)
		return
	}
	m, _ := c.Engine.Read().Message(nil, ev.Subject)
	if m == nil || m.State != state.MessagePendingApproval {
		return // decided, or stood down, in the meantime
	}
	s, ok := stepOf(rb, m)
	if !ok || s.Notify == nil || s.Notify.Approval == nil {
		return
	}
	// One approver of each organisation that must sign first, then the
	// others, until the message goes.
	for _, sh := range signingOrder(s.Notify.Approval, rb.Reach(s.Notify.Approval.Approvers).Stakeholders, c.Engine.view()) {
		cmd := &Approve{Meta: Meta{Actor: actor, At: now}, Message: m.ID, By: string(sh.ID), Simulated: true}
		if _, err := c.Engine.Apply(ctx, cmd); err != nil {
			c.Log.Error("simulated approval", "message", m.ID, "err", err)
			return
		}
		if m, _ := c.Engine.Read().Message(nil, m.ID); m == nil || m.State != state.MessagePendingApproval {
			return
		}
	}
}

func (c *Controller) finishTask(ctx context.Context, now time.Time, ev *state.Event) {
	rb, err := c.Engine.Runbook(ev.ActivationID)
	if err != nil {
		c.Log.Error("simulated task", "err", err)
		return
	}
	t, _ := c.Engine.Read().Task(nil, ev.Subject)
	if t == nil || (t.State != state.TaskOpen && t.State != state.TaskAcknowledged) {
		return
	}
	who := t.Assignee
	if people := rb.Reach([]runbooks.Ref{{Name: t.Assignee}}).Stakeholders; len(people) > 0 {
		who = string(people[0].ID)
	}
	for _, cmd := range []Command{
		&Acknowledge{Meta: Meta{Actor: actor, At: now}, Subject: t.ID, By: who, Via: "simulated"},
		&CompleteTask{Meta: Meta{Actor: actor, At: now}, Task: t.ID, By: who},
	} {
		if _, err := c.Engine.Apply(ctx, cmd); err != nil {
			c.Log.Error("simulated task", "task", t.ID, "err", err)
			return
		}
	}
}

// acknowledge has everyone a message reached acknowledge it, if its step
// asks them to. A task's notice is left to finishTask.
func (c *Controller) acknowledge(ctx context.Context, now time.Time, ev *state.Event) {
	rb, err := c.Engine.Runbook(ev.ActivationID)
	if err != nil {
		c.Log.Error("simulated acknowledgement", "err", err)
		return
	}
	tx := c.Engine.Read()
	m, _ := tx.Message(nil, ev.Subject)
	if m == nil || !asksForAck(rb, m) {
		return
	}
	if s, _ := rb.Step(m.Step); s.Notify == nil {
		return // a task's notice: finishTask acknowledges the task
	}
	waiting, _, err := notYetAcknowledged(tx, m.ID)
	if err != nil {
		c.Log.Error("simulated acknowledgement", "message", m.ID, "err", err)
		return
	}
	for _, who := range waiting {
		cmd := &Acknowledge{Meta: Meta{Actor: actor, At: now}, Subject: m.ID, By: who, Via: "simulated"}
		if _, err := c.Engine.Apply(ctx, cmd); err != nil {
			c.Log.Error("simulated acknowledgement", "message", m.ID, "err", err)
			return
		}
	}
}
