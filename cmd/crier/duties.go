package main

import (
	"context"
	"log/slog"

	"github.com/crierhq/crier/record"
)

// leaderDuties runs term while this node leads, and only then: the
// scheduler and the dispatcher, started afresh from the record each time
// the node takes the lead (every pending occurrence, every delivery not
// yet made) and stopped when it loses it, so that two nodes never send.
// It returns once ctx ends and the last term has finished.
func leaderDuties(ctx context.Context, node *record.Node, log *slog.Logger, term func(ctx context.Context)) {
	var stop context.CancelFunc
	done := make(chan struct{})
	close(done)
	start := func() {
		var termCtx context.Context
		termCtx, stop = context.WithCancel(ctx)
		done = make(chan struct{})
		go func() { defer close(done); term(termCtx) }()
	}
	end := func() {
		if stop != nil {
			stop()
		}
		<-done
	}
	leading, _, _ := node.Leader()
	if leading {
		start()
	}
	for {
		select {
		case <-ctx.Done():
			end()
			return
		case now := <-node.LeaderCh():
			// Raft keeps only the latest news: "leads" while leading means
			// the lead was lost and taken back in between, so the work
			// starts again from the record all the same.
			end()
			leading = now
			_, id, addr := node.Leader()
			if leading {
				log.Info("this node leads the cluster now: scheduling and sending")
				start()
			} else {
				log.Warn("this node no longer leads the cluster: it stops scheduling and sending", "leader", id, "at", addr)
			}
		}
	}
}
