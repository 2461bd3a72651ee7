package engine

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crierhq/crier/engine/state"
)

// fired lists an activation's fired occurrences as "step#n@offset", the
// offset from activation in the activation's own time.
func fired(t *testing.T, e *Engine, activation string) string {
	t.Helper()
	a, _ := e.Read().Activation(nil, activation)
	occ, _ := e.Read().OccurrencesOf(nil, activation)
	var out []string
	for _, o := range occ {
		if o.State != state.OccurrencePending && o.State != state.OccurrenceCancelled && o.Kind != checkApproval && o.Kind != checkAck {
			out = append(out, o.Step+"#"+strconv.Itoa(o.N)+"@"+o.FiredAt.Sub(a.StartedAt).String())
		}
	}
	return strings.Join(out, " ")
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSchedulerFiresOnTheRealClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e, err := Open(ctx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewScheduler(e, RealClock{}, quiet())
		if err != nil {
			t.Fatal(err)
		}
		go s.Run(ctx)
		id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "live"}))

		time.Sleep(31 * time.Minute) // fake time: the bubble's clock jumps
		synctest.Wait()
		if got, want := fired(t, e, id), "declare#1@0s statement#1@30m0s"; got != want {
			t.Errorf("after 31m: %s, want %s", got, want)
		}
		time.Sleep(12 * time.Hour)
		synctest.Wait()
		if got, want := fired(t, e, id), "declare#1@0s monitor#1@4h0m0s monitor#2@8h0m0s monitor#3@12h0m0s statement#1@30m0s"; got != want {
			t.Errorf("after 12h31m: %s, want %s", got, want)
		}
	})
}

// An exercise at speed 60 runs an hour of scenario in a real minute, while
// a live activation beside it keeps real time.
func TestSchedulerScalesExercises(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e, _ := Open(ctx, Options{})
		s, _ := NewScheduler(e, RealClock{}, quiet())
		go s.Run(ctx)
		drill := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise", Speed: 60}))
		live := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "live"}))

		time.Sleep(5 * time.Minute) // five hours of scenario
		synctest.Wait()
		if got, want := fired(t, e, drill), "declare#1@0s monitor#1@4h0m0s rumour#1@45m0s statement#1@30m0s"; got != want {
			t.Errorf("drill: %s, want %s", got, want)
		}
		if got, want := fired(t, e, live), "declare#1@0s"; got != want {
			t.Errorf("live: %s, want %s", got, want)
		}
	})
}

func TestInstantDrill(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, err := NewScheduler(e, clock, quiet())
	if err != nil {
		t.Fatal(err)
	}
	id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise"}))
	if err := s.RunInstant(context.Background(), clock, start.Add(13*time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := "declare#1@0s monitor#1@4h0m0s monitor#2@8h0m0s monitor#3@12h0m0s rumour#1@45m0s statement#1@30m0s"
	if got := fired(t, e, id); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// Stand-down wins over the scheduler: nothing fires after it.
func TestNothingFiresAfterStandDown(t *testing.T) {
	e, clock := newEngine(t, nil)
	s, _ := NewScheduler(e, clock, quiet())
	id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "live"}))
	s.RunInstant(context.Background(), clock, start.Add(10*time.Minute))
	apply(t, e, &StandDown{Activation: id, Reason: "false alarm"})
	s.RunInstant(context.Background(), clock, start.Add(30*24*time.Hour))
	if got := fired(t, e, id); got != "declare#1@0s" {
		t.Errorf("fired after stand-down: %s", got)
	}
}

// In a paced exercise, what people do is stamped in scenario time.
func TestPacedExerciseStampsPeopleInScenarioTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e, _ := Open(ctx, Options{})
		s, _ := NewScheduler(e, RealClock{}, quiet())
		go s.Run(ctx)
		id := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise", Speed: 60}))
		time.Sleep(40 * time.Second) // 40 minutes of scenario: the statement is waiting
		synctest.Wait()
		apply(t, e, &Approve{Meta: Meta{Actor: "lead@northbridge"}, Message: OccurrenceID(id, "statement", 1), By: "lead"})
		given, _ := e.Read().ApprovalsOf(nil, OccurrenceID(id, "statement", 1))
		a, _ := e.Read().Activation(nil, id)
		if len(given) != 1 || given[0].At.Sub(a.StartedAt) != 40*time.Minute {
			t.Errorf("approval stamped %v after activation, want 40m of scenario time", given[0].At.Sub(a.StartedAt))
		}
	})
}

// An exercise's speed can change as it runs: scenario time so far stands,
// and what is still to come is placed again at the new speed.
func TestChangingSpeed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e, _ := Open(ctx, Options{})
		s, _ := NewScheduler(e, RealClock{}, quiet())
		go s.Run(ctx)
		drill := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise", Speed: 60}))

		time.Sleep(40 * time.Second) // 40 minutes of scenario: declare and statement have fired
		synctest.Wait()
		apply(t, e, &SetSpeed{Activation: drill, Speed: 600, Wall: time.Now()})
		// The rumour, due at 45m, is 5 scenario minutes away: half a real
		// second at 600x, where at 60x it would have been five seconds.
		time.Sleep(time.Second)
		synctest.Wait()
		if got, want := fired(t, e, drill), "declare#1@0s rumour#1@45m0s statement#1@30m0s"; got != want {
			t.Errorf("after the change: %s, want %s", got, want)
		}
		if _, err := e.Apply(ctx, &SetSpeed{Activation: drill, Speed: 0.5, Wall: time.Now()}); err == nil {
			t.Error("a speed below real time")
		}
	})
}
