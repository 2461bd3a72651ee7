package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

type activationOut struct {
	ID, Runbook, Mode, State, Title string
}

type messageOut struct {
	ID, State, Subject string
	Revision           int
}

func runActivate(ctx context.Context, args []string, e env) int {
	var live, exercise *bool
	var event, severity *string
	var speed *float64
	var params paramFlag
	return checkedClientCommand(ctx, e, "activate", "--live | --exercise [--speed N] [--param name=value]... [--event TEXT] [--severity S] RUNBOOK",
		"Activate a runbook on the server: --live for a real incident, its messages sent for real,\n"+
			"or --exercise for a drill, every message marked as an exercise. Say which: one is required.", args,
		func(f *flag.FlagSet) {
			params = paramFlag{}
			live = f.Bool("live", false, "a real incident: messages go to the people the runbook names")
			exercise = f.Bool("exercise", false, "an exercise: every message marked, injects fired")
			speed = f.Float64("speed", 0, "for an exercise: scenario seconds per real second, from 1 (real time) to 10,000")
			event = f.String("event", "", "what happened, for the record")
			severity = f.String("severity", "", "how severe, for the record")
			f.Var(params, "param", "a param value, name=value (repeatable)")
		},
		func() error {
			switch {
			case *live && *exercise:
				return errors.New("choose --live or --exercise, not both")
			case !*live && !*exercise:
				return errors.New("say --live (a real incident: messages go out for real) or --exercise (a drill: every message marked as an exercise)")
			case *live && *speed != 0:
				return errors.New("--speed is for an exercise; a live activation runs in real time")
			}
			return nil
		},
		func(ctx context.Context, c *client, runbook string) (string, error) {
			mode := "live"
			if *exercise {
				mode = "exercise"
			}
			var a activationOut
			err := c.call(ctx, "POST", "/api/v1/activations", map[string]any{"runbook": runbook, "mode": mode, "params": params,
				"event": *event, "severity": *severity, "speed": *speed}, &a)
			return fmt.Sprintf("%s: %s (%s), %s\n", a.ID, a.Title, a.Mode, a.State), err
		})
}

// checkedClientCommand is clientCommand with the command line checked
// first: what check finds is a usage error (exit 2), said before anything
// is sent. check sees the flags as parsed; help and flag errors are left
// to clientCommand, which parses them again, so setup must start afresh.
func checkedClientCommand(ctx context.Context, e env, name, synopsis, about string, args []string,
	setup func(*flag.FlagSet), check func() error, do func(context.Context, *client, string) (string, error)) int {
	flags := newFlags(name, synopsis, about)
	clientFlags(flags)
	setup(flags)
	if _, _, ok := parseFlags(flags, args, env{stdout: io.Discard, stderr: io.Discard, now: e.now}); ok {
		if err := check(); err != nil {
			fmt.Fprintf(e.stderr, "crier %s: %v\n", name, err)
			return exitUsage
		}
	}
	return clientCommand(ctx, e, name, synopsis, about, args, setup, do)
}

// needReason checks the --reason of a command that puts one in the record.
func needReason(reason, why string) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("give --reason: %s, for the record", why)
	}
	return nil
}

func runApprove(ctx context.Context, args []string, e env) int {
	var revision *int
	return clientCommand(ctx, e, "approve", "[--revision N] MESSAGE", "Approve a message waiting for approval, as yourself.", args,
		func(f *flag.FlagSet) {
			revision = f.Int("revision", 0, "the revision you read: refused if the message has been edited since")
		},
		func(ctx context.Context, c *client, id string) (string, error) {
			var m messageOut
			err := c.call(ctx, "POST", "/api/v1/messages/"+idPath(id)+"/approve", map[string]int{"revision": *revision}, &m)
			return fmt.Sprintf("%s: revision %d approved; the message is %s\n", m.ID, m.Revision, strings.ReplaceAll(m.State, "_", " ")), err
		})
}

func runReject(ctx context.Context, args []string, e env) int {
	var reason *string
	return checkedClientCommand(ctx, e, "reject", "--reason TEXT MESSAGE", "Reject a message waiting for approval: it will not be sent.", args,
		func(f *flag.FlagSet) { reason = f.String("reason", "", "why, for the record (required)") },
		func() error { return needReason(*reason, "why the message is rejected") },
		func(ctx context.Context, c *client, id string) (string, error) {
			var m messageOut
			err := c.call(ctx, "POST", "/api/v1/messages/"+idPath(id)+"/reject", map[string]string{"reason": *reason}, &m)
			return fmt.Sprintf("%s: rejected\n", m.ID), err
		})
}

func runAck(ctx context.Context, args []string, e env) int {
	return clientCommand(ctx, e, "ack", "TASK|MESSAGE", "Acknowledge a task or a message sent to you, as yourself.", args, nil,
		func(ctx context.Context, c *client, id string) (string, error) {
			var t struct{ ID, State string }
			err := c.call(ctx, "POST", "/api/v1/tasks/"+idPath(id)+"/ack", nil, &t)
			if isNotFound(err) { // not a task: a message, then
				var m messageOut
				err = c.call(ctx, "POST", "/api/v1/messages/"+idPath(id)+"/ack", nil, &m)
				return fmt.Sprintf("%s: acknowledged\n", m.ID), err
			}
			return fmt.Sprintf("%s: %s\n", t.ID, t.State), err
		})
}

func runStandDown(ctx context.Context, args []string, e env) int {
	var reason *string
	return checkedClientCommand(ctx, e, "standdown", "--reason TEXT ACTIVATION", "Stand an activation down: nothing more is sent.", args,
		func(f *flag.FlagSet) { reason = f.String("reason", "", "why, for the record (required)") },
		func() error { return needReason(*reason, "why it is stood down") },
		func(ctx context.Context, c *client, id string) (string, error) {
			var a activationOut
			err := c.call(ctx, "POST", "/api/v1/activations/"+idPath(id)+"/standdown", map[string]string{"reason": *reason}, &a)
			return fmt.Sprintf("%s: %s\n", a.ID, strings.ReplaceAll(a.State, "_", " ")), err
		})
}

func runStatus(ctx context.Context, args []string, e env) int {
	return clientCommand(ctx, e, "status", "ACTIVATION", "Show an activation: its state, messages waiting for approval and open tasks.", args, nil,
		func(ctx context.Context, c *client, id string) (string, error) {
			var a activationOut
			if err := c.call(ctx, "GET", "/api/v1/activations/"+idPath(id), nil, &a); err != nil {
				return "", err
			}
			var ms []messageOut
			if err := c.call(ctx, "GET", "/api/v1/messages?activation="+idPath(id), nil, &ms); err != nil {
				return "", err
			}
			var ts []struct{ ID, State, Assignee string }
			if err := c.call(ctx, "GET", "/api/v1/tasks?activation="+idPath(id), nil, &ts); err != nil {
				return "", err
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%s: %s (%s), %s\n", a.ID, a.Title, a.Mode, strings.ReplaceAll(a.State, "_", " "))
			for _, m := range ms {
				fmt.Fprintf(&b, "  message %s: %s — %s\n", m.ID, strings.ReplaceAll(m.State, "_", " "), m.Subject)
			}
			for _, t := range ts {
				fmt.Fprintf(&b, "  task %s: %s, for %s\n", t.ID, t.State, t.Assignee)
			}
			return b.String(), nil
		})
}

func runReport(ctx context.Context, args []string, e env) int {
	var format *string
	return clientCommand(ctx, e, "report", "[--format md|json] ACTIVATION", "Print an activation's report.", args,
		func(f *flag.FlagSet) { format = f.String("format", "md", "md or json") },
		func(ctx context.Context, c *client, id string) (string, error) {
			var b strings.Builder
			err := c.call(ctx, "GET", "/api/v1/activations/"+idPath(id)+"/report?format="+*format, nil, &b)
			return b.String(), err
		})
}
