package engine

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
)

// recorder is a notifier that keeps what it is given.
type recorder struct{ got []notifiers.Message }

func (r *recorder) Notify(_ context.Context, m notifiers.Message) (bool, error) {
	r.got = append(r.got, m)
	return false, nil
}

func TestInstantDrillEndToEnd(t *testing.T) {
	sent := &recorder{}
	e, id, err := Drill(context.Background(), DrillOptions{
		Source: readRunbook(t, "plan.good.yaml"), SourceName: "plan.good.yaml",
		Start: start, Instant: true, Horizon: 14 * time.Hour, ApproveAfter: 5 * time.Minute,
		Notifier: sent, Log: quiet(),
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
		if m.Step != "rumour" && m.Target != "#exercise-control" {
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
	if err := r.Markdown(&md); err != nil || !strings.Contains(md.String(), "| statement | 1 | notify | 30m | 30m | 35m | complete |") {
		t.Errorf("markdown report:\n%s", md.String())
	}
}
