package bench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/robfig/cron/v3"
)

// seedPending activates the bench runbook until at least n occurrences are
// pending, all weeks away.
func seedPending(ctx context.Context, e *engine.Engine, n int) error {
	const steps = 100
	src := runbookSource(steps, false, 0)
	for pending := 0; pending < n; pending += steps {
		if _, err := e.Apply(ctx, &engine.Activate{Meta: engine.Meta{Actor: "bench"}, Source: src, SourceName: "bench.yaml", Mode: "live"}); err != nil {
			return err
		}
	}
	return nil
}

// busyEngine is an engine on the real clock with o.Pending occurrences of
// other activations pending, and its scheduler.
func busyEngine(ctx context.Context, o Options) (*engine.Engine, *engine.Scheduler, error) {
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		return nil, nil, err
	}
	if err := seedPending(ctx, e, o.Pending); err != nil {
		return nil, nil, err
	}
	s, err := engine.NewScheduler(e, engine.RealClock{}, o.Log)
	return e, s, err
}

// SchedulerLoad times loading the pending occurrences into the scheduler's
// heap, against robfig/cron loading the same number of entries.
func SchedulerLoad(ctx context.Context, o Options) ([]Figure, error) {
	clock := engine.NewVirtualClock(time.Now())
	e, err := engine.Open(ctx, engine.Options{Clock: clock})
	if err != nil {
		return nil, err
	}
	if err := seedPending(ctx, e, o.Pending); err != nil {
		return nil, err
	}
	start := time.Now()
	if _, err := engine.NewScheduler(e, clock, o.Log); err != nil {
		return nil, err
	}
	ours := time.Since(start)

	c := cron.New()
	c.Start()
	start = time.Now()
	for range o.Robfig {
		if _, err := c.AddFunc("0 9 * * 1", func() {}); err != nil {
			return nil, err
		}
	}
	c.Entries() // returns once the run loop has taken every entry
	baseline := time.Since(start)
	<-c.Stop().Done()
	return []Figure{figure(fmt.Sprintf("scheduler_load_%d_pending", o.Pending), ours.Seconds(), "s",
		fmt.Sprintf("robfig cron.Cron adding %d entries", o.Robfig), baseline.Seconds(), "< 0.5 s")}, nil
}

// latenessSource is a runbook of n steps due every 10ms.
func latenessSource(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nid: lateness\ntitle: Lateness\nstakeholders:\n  - {id: duty, name: Duty officer, slack: U04ABCD1234}\nchannels:\n  - {id: log, type: log}\nsteps:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {id: s%d, title: S, at: %dms, task: {assignee: duty, instructions: x}}\n", i, i*10)
	}
	return []byte(b.String())
}

// FiringLateness measures how late the scheduler fires, with the pending
// occurrences of other activations in its heap, against bare Go timers set
// for the same moments and running at the same time, so that both meet the
// same machine.
func FiringLateness(ctx context.Context, o Options) ([]Figure, error) {
	e, s, err := busyEngine(ctx, o)
	if err != nil {
		return nil, err
	}
	runtime.GC() // the seeding's garbage is not the scheduler's doing
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Run(runCtx)
	index, err := e.Apply(ctx, &engine.Activate{Meta: engine.Meta{Actor: "bench"}, Source: latenessSource(o.Samples), SourceName: "lateness.yaml", Mode: "live"})
	if err != nil {
		return nil, err
	}
	id := engine.ActivationID(index)
	a, err := e.Read().Activation(nil, id)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var bare []time.Duration
	var wg sync.WaitGroup
	for i := 1; i <= o.Samples; i++ {
		due := a.StartedAt.Add(time.Duration(i) * 10 * time.Millisecond)
		wg.Add(1)
		time.AfterFunc(time.Until(due), func() {
			late := time.Since(due)
			mu.Lock()
			bare = append(bare, late)
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	time.Sleep(50 * time.Millisecond) // the last firing's command
	occ, err := e.Read().OccurrencesOf(nil, id)
	if err != nil {
		return nil, err
	}
	var ours []time.Duration
	for _, oc := range occ {
		if oc.State == state.OccurrenceFired {
			ours = append(ours, oc.FiredAt.Sub(oc.DueAt))
		}
	}
	if len(ours) < o.Samples {
		return nil, fmt.Errorf("only %d of %d occurrences fired", len(ours), o.Samples)
	}
	return []Figure{
		figure("firing_lateness_p50", ms(percentile(ours, 50)), "ms", "bare time.AfterFunc timers, p50", ms(percentile(bare, 50)), ""),
		figure("firing_lateness_p99", ms(percentile(ours, 99)), "ms", "bare time.AfterFunc timers, p99", ms(percentile(bare, 99)), "ratio <= 1.5"),
	}, nil
}
