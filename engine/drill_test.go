package engine

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/examples"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/runbooks"
)

// recorder is a notifier that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	got []notifiers.Message
}

func (r *recorder) Notify(_ context.Context, m notifiers.Message) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
	return false, nil
}

// to sends every channel type to n.
func to(n notifiers.Notifier) notifiers.DispatchOptions {
	return notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: n}}
}

// deliverer runs a deliverer sending everything to n until the test ends.
func deliverer(t *testing.T, e *Engine, n notifiers.Notifier) *Deliverer {
	d := NewDeliverer(e, to(n))
	go d.Run(t.Context())
	return d
}

func TestInstantDrillEndToEnd(t *testing.T) {
	sent := &recorder{}
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: readRunbook(t, "plan.good.yaml"), SourceName: "plan.good.yaml",
		Start: start, Instant: true, Horizon: 14 * time.Hour, ApproveAfter: 5 * time.Minute,
		Dispatch: to(sent), Log: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]StepReport{}
	for _, s := range r.Steps {
		steps[s.Step+"#"+strconv.Itoa(s.Occurrence)] = s
	}
	for key, want := range map[string]int64{
		"declare#1":   0,
		"statement#1": 30 * 60,
		"rumour#1":    45 * 60,
		"monitor#1":   4 * 3600,
		// brief waits for declare (sent at once) and statement (approved
		// by the simulated controller at 35m), then 1h; debrief follows
		// when the brief's task is done, 5m later.
		"brief#1":   95 * 60,
		"debrief#1": 100 * 60,
	} {
		s, ok := steps[key]
		if !ok || s.FiredSeconds == nil || *s.FiredSeconds != want {
			t.Errorf("%s: %+v, want fired at %ds", key, s, want)
		}
	}
	for _, m := range sent.got {
		if !strings.HasPrefix(m.Subject, "EXERCISE EXERCISE EXERCISE ") || !strings.HasPrefix(m.Body, "EXERCISE EXERCISE EXERCISE") || !strings.HasSuffix(m.Body, "EXERCISE EXERCISE EXERCISE") {
			t.Errorf("unmarked drill message: %+v", m)
		}
		// Everything — injects and task notices too — goes to the redirect.
		if m.Target != "#exercise-control" {
			t.Errorf("redirect ignored: %s went to %s", m.Step, m.Target)
		}
	}
	var approvals int
	for _, m := range r.Messages {
		for _, a := range m.Approvals {
			if !a.Simulated {
				t.Errorf("approval not marked simulated: %+v", a)
			}
			approvals++
		}
		if m.State != state.MessageSent {
			t.Errorf("message %s is %s", m.ID, m.State)
		}
	}
	if approvals != 2 {
		t.Errorf("%d approvals, want 2 (min: 2)", approvals)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil || !strings.Contains(md.String(), "| statement | 1 | notify | 30m | 30m | 35m | sent |") ||
		!strings.Contains(md.String(), "| recovery | 1 | notify | 6d 23h | - | - | pending |") {
		t.Errorf("markdown report:\n%s", md.String())
	}
}

// An approval not given within its time is escalated, then reminded with
// growing gaps until it is decided; acknowledgements likewise. The deputy
// named in escalate_to is an approver still waiting: they are reminded, as
// the lead is, not told about their own delay as if they were the manager.
func TestEscalation(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	d := deliverer(t, e, &recorder{})
	id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "live"}))
	statement := OccurrenceID(id, "statement", 1)

	// Run to 1h05m: the statement was drafted at 30m, within 15m, so the
	// one level at 45m and the first reminder 15m later; nobody approved.
	s.RunInstant(context.Background(), clock, start.Add(65*time.Minute))
	xs, _ := e.Read().EscalationsAbout(nil, statement)
	if len(xs) != 2 || xs[0].Reason != state.EscalationApprovalOverdue || strings.Join(xs[0].To, ",") != "lead,deputy" ||
		strings.Join(xs[0].Waiting, ",") != "lead,deputy" || xs[1].Reminder != 2 || !xs[1].At.Equal(start.Add(time.Hour)) {
		t.Fatalf("escalations: %+v", xs)
	}
	notice, _ := e.Read().Message(nil, xs[0].ID)
	if notice == nil || !strings.HasPrefix(notice.Current().Subject, "Overdue: approval of Holding statement") {
		t.Errorf("notice: %+v", notice)
	}
	deliveries, _ := e.Read().DeliveriesOf(nil, xs[0].ID)
	if len(deliveries) != 2 || deliveries[0].Target != "U04ABCD1234" || deliveries[1].Target != "deputy@northbridge.gov.uk" {
		t.Errorf("notice deliveries: %+v", deliveries)
	}

	// Approved: no more reminders.
	apply(t, e, &Approve{Message: statement, By: "lead"})
	apply(t, e, &Approve{Message: statement, By: "deputy"})
	d.Deliver(context.Background())
	s.RunInstant(context.Background(), clock, start.Add(3*time.Hour))
	if xs, _ := e.Read().EscalationsAbout(nil, statement); len(xs) != 2 {
		t.Errorf("%d escalations after approval, want still 2", len(xs))
	}

	// The declaration went only to the log channel: it reached no
	// stakeholder who must acknowledge it, so nothing is escalated.
	if xs, _ := e.Read().EscalationsAbout(nil, OccurrenceID(id, "declare", 1)); len(xs) != 0 {
		t.Errorf("declaration escalated: %+v", xs)
	}
}

func TestAcknowledgementEscalation(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	d := deliverer(t, e, &recorder{})
	id := activateMinimal(t, e, "live")
	declare := OccurrenceID(id, "declare", 1)
	s.RunInstant(context.Background(), clock, start)
	d.Deliver(context.Background())

	s.RunInstant(context.Background(), clock, start.Add(15*time.Minute))
	apply(t, e, &Acknowledge{Subject: declare, By: "duty.comms@northbridge.gov.uk", Via: "email link"})
	s.RunInstant(context.Background(), clock, start.Add(30*time.Minute))
	xs, _ := e.Read().EscalationsAbout(nil, declare)
	if len(xs) != 2 || strings.Join(xs[0].Waiting, ",") != "duty-comms,head-comms" || strings.Join(xs[1].Waiting, ",") != "head-comms" ||
		xs[0].Reason != state.EscalationAckOverdue || strings.Join(xs[0].To, ",") != "duty-comms,head-comms" {
		t.Fatalf("escalations: %+v", xs)
	}
	apply(t, e, &Acknowledge{Subject: declare, By: "head-comms"})
	s.RunInstant(context.Background(), clock, start.Add(2*time.Hour))
	if xs, _ := e.Read().EscalationsAbout(nil, declare); len(xs) != 2 {
		t.Errorf("reminders went on after everyone acknowledged: %d", len(xs))
	}
}

// TestDrillsFollowThePlan drills every example instantly and checks that
// each step and inject the plan places by the clock (not waiting on
// others) fires at exactly its planned offset.
func TestDrillsFollowThePlan(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	files = slices.DeleteFunc(files, func(f string) bool { return !runbooks.IsRunbookFile(f) }) // the configuration, the directory
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	dir, err := fs.ReadFile(examples.FS, examples.DirectoryFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := runbooks.Parse(file, src)
			if err != nil {
				t.Fatal(err)
			}
			horizon, err := DrillHorizon(rb)
			if err != nil {
				t.Fatal(err)
			}
			params := map[string]string{}
			for _, p := range rb.Params {
				params[p.Name] = "test value"
			}
			e, id, err := Drill(context.Background(), DrillOptions{Source: src, SourceName: file, Params: params, Start: start,
				Instant: true, Horizon: horizon, ApproveAfter: 5 * time.Minute, Dispatch: to(&recorder{}), Log: quiet(),
				Directory: dir, DirectoryName: examples.DirectoryFile, ListFiles: examples.FS})
			if err != nil {
				t.Fatal(err)
			}
			events, _ := e.Read().EventsOf(nil, id)
			for _, ev := range events {
				if ev.Kind == "not_reached" {
					t.Errorf("%s: %s", ev.Subject, ev.Detail)
				}
			}
			report, err := e.Report(id)
			if err != nil {
				t.Fatal(err)
			}
			fired := map[string]int64{}
			for _, s := range report.Steps {
				if s.FiredSeconds != nil {
					fired[s.Step+"#"+strconv.Itoa(s.Occurrence)] = *s.FiredSeconds
				}
			}
			plan, err := runbooks.Plan(rb, start, horizon, runbooks.PlanOptions{Exercise: true})
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, o := range plan {
				if len(o.After) > 0 {
					continue
				}
				key := o.Step + "#" + strconv.Itoa(o.Occurrence)
				got, ok := fired[key]
				if !ok || got != int64(o.Offset/time.Second) {
					t.Errorf("%s: planned at %s, fired at %ds (fired: %v)", key, o.Offset, got, ok)
				}
				checked++
			}
			if checked == 0 {
				t.Error("nothing checked")
			}
		})
	}
}

const translated = `version: 1
id: translated
title: Translated reassurance
stakeholders:
  - {id: comms, name: Comms, roles: [approver], email: comms@northbridge.gov.uk}
  - {id: head, name: Head of comms, roles: [approver], email: head@northbridge.gov.uk}
channels:
  - {id: public, type: slack, slack_channel: "#public"}
  - {id: polish-groups, type: email, to: [grupy@example.org]}
audiences:
  - {id: polish-speakers, channels: [polish-groups], languages: [pl]}
steps:
  - id: reassure
    title: Reassurance
    at: 0s
    notify:
      to: [public, polish-speakers]
      subject: We stand together
      body: Report hate crime to the police.
      translations:
        pl: {subject: Stoimy razem, body: Zgłoś przestępstwo z nienawiści na policję.}
      approval: {approvers: [role:approver]}
`

func TestTranslationsGoToTheirAudiences(t *testing.T) {
	for _, edit := range []bool{false, true} {
		e, _ := newEngine(t, nil)
		id := ActivationID(apply(t, e, &Activate{Source: []byte(translated), SourceName: "t.yaml", Mode: "live"}))
		msg := OccurrenceID(id, "reassure", 1)
		if edit {
			apply(t, e, &Edit{Message: msg, By: "comms", Subject: "We stand together", Body: "Report hate crime to the police on 101."})
		}
		apply(t, e, &Approve{Message: msg, By: "head"})
		sent := &recorder{}
		if err := deliverer(t, e, sent).Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range sent.got {
			got = append(got, m.Target+"/"+m.Language+": "+m.Subject)
		}
		slices.Sort(got)
		want := "#public/: We stand together, grupy@example.org/: We stand together, grupy@example.org/pl: Stoimy razem"
		if edit {
			want = "#public/: We stand together, grupy@example.org/: We stand together"
		}
		if strings.Join(got, ", ") != want {
			t.Errorf("edited=%v:\n got %s\nwant %s", edit, strings.Join(got, ", "), want)
		}
	}
}

const chain = `version: 1
id: chain
title: Statements that wait on each other
stakeholders:
  - id: head
    name: Head of communications
    roles: [approver]
    email: head@northbridge.gov.uk
channels:
  - id: public
    type: slack
    slack_channel: "#public"
steps:
  - id: first
    title: First statement
    at: 0s
    notify: {to: [public], body: First., approval: {approvers: [head]}}
  - id: second
    title: Second statement
    after: [first]
    notify: {to: [public], body: Second., approval: {approvers: [head]}}
  - id: third
    title: Third statement
    after: [second]
    notify: {to: [public], body: Third., approval: {approvers: [head]}}
`

// Steps after approvals come later than the plan places them (it counts
// approvals as instant); the drill runs on until they are done.
func TestDrillWaitsForTheController(t *testing.T) {
	rb, err := runbooks.Parse("chain.yaml", []byte(chain))
	if err != nil {
		t.Fatal(err)
	}
	horizon, _ := DrillHorizon(rb)
	sent := &recorder{}
	e, id, err := Drill(context.Background(), DrillOptions{Source: []byte(chain), SourceName: "chain.yaml", Start: start,
		Instant: true, Horizon: horizon, ApproveAfter: 5 * time.Minute, Dispatch: to(sent), Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"first", "second", "third"} {
		m, _ := e.Read().Message(nil, OccurrenceID(id, step, 1))
		if m == nil || m.State != state.MessageSent {
			t.Errorf("%s: %+v", step, m)
		}
	}
	if len(sent.got) != 3 {
		t.Errorf("%d messages sent, want 3", len(sent.got))
	}
}

// A paced drill keeps one scenario clock from whatever instant it starts:
// started at a whole minute in scenario time but some seconds into the real
// minute, its steps fire at their offsets and what the dispatcher records
// (sent, completed) falls just after, never before and never far ahead.
func TestPacedDrillKeepsOneClock(t *testing.T) {
	src := []byte(`version: 1
id: paced
title: Paced drill
stakeholders: [{id: lead, name: Exercise lead, email: lead@northbridge.gov.uk}]
channels: [{id: ctl, type: log}]
steps:
  - {id: first, title: First, at: 0s, notify: {to: [ctl], body: At once.}}
  - {id: second, title: Second, at: 9m, notify: {to: [ctl], body: Nine minutes in.}}
exercise: {redirect: [ctl]}
`)
	// A scenario start at a whole minute, at least a minute before the real
	// start: a clock anchored at the scenario start would run 10h ahead.
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Minute)
	e, id, err := Drill(context.Background(), DrillOptions{Source: src, SourceName: "paced.yaml", Start: start,
		Speed: 600, Horizon: 10 * time.Minute, Dispatch: to(&recorder{}), Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	events, _ := e.Read().EventsOf(nil, id)
	dispatched := map[string]time.Duration{}
	for _, ev := range events {
		step := StepOf(id, ev.Subject)
		switch ev.Kind {
		case "message_dispatched":
			dispatched[step] = ev.At.Sub(start)
		case "message_sent":
			at := ev.At.Sub(start)
			if d, ok := dispatched[step]; !ok || at < d || at > d+30*time.Minute { // 3 real seconds at 600x
				t.Errorf("%s sent at T+%v, dispatched at T+%v: one clock keeps them together, in order", step, at, d)
			}
		}
	}
	for step, due := range map[string]time.Duration{"first": 0, "second": 9 * time.Minute} {
		if at, ok := dispatched[step]; !ok || at < due || at > due+30*time.Minute {
			t.Errorf("%s dispatched at T+%v, due at T+%v", step, at, due)
		}
	}
	r, _ := e.Report(id)
	var md strings.Builder
	r.Markdown(&md)
	if frac := regexp.MustCompile(`\d(ms|µs|ns)\b|\d\.\d+s\b`).FindString(md.String()); frac != "" {
		t.Errorf("the report shows a fraction of a second (%q):\n%s", frac, md.String())
	}
	if !strings.Contains(md.String(), "Its clock ran at ×600 real time from ") {
		t.Errorf("the report does not say its times are exercise time:\n%s", md.String())
	}
	for _, s := range r.Steps {
		if s.FiredSeconds != nil && s.CompleteSeconds != nil && *s.CompleteSeconds < *s.FiredSeconds {
			t.Errorf("%s completed at %ds, before it fired at %ds", s.Step, *s.CompleteSeconds, *s.FiredSeconds)
		}
	}
}
