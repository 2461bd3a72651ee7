package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/crierhq/crier/bench"
)

func runBench(ctx context.Context, args []string, e env) int {
	flags := newFlags("bench", "[--json] [--quick] | --fanout N [--activations K] [--rounds R] [--json]",
		"Measure the engine: scheduler load and firing lateness, activation to first delivery,\n"+
			"memory per delivery record and delivery outcome throughput, each beside a baseline\n"+
			"measured in the same run. The robfig/cron baseline loads its entries while running,\n"+
			"which takes minutes at 100,000; --quick measures everything at a tenth of the size.\n\n"+
			"--fanout N measures instead crier serve's whole path in this process — the record on\n"+
			"disk with its fsync, the dispatcher, the real Slack and email notifiers, an activation\n"+
			"over the API — reaching N people, against loopback fakes of Slack and an SMTP relay,\n"+
			"beside the floor: the same notifier alone, with as many workers, sending the same\n"+
			"messages to the same fake in the same run; then through a crier serve process of\n"+
			"its own, whose peak resident set is read from /proc; then K activations of N at once.")
	jsonOut := flags.Bool("json", false, "print an array of {name, value, unit, baseline, baseline_value, ratio}")
	quick := flags.Bool("quick", false, "a smaller, faster run")
	fanout := flags.Int("fanout", 0, "measure a fan-out to this many people instead")
	activations := flags.Int("activations", 10, "with --fanout: how many activations of that many start together")
	rounds := flags.Int("rounds", 3, "with --fanout: how many times each path runs, in turn (medians are given)")
	if _, code, ok := parseFlags(flags, args, e); !ok {
		return code
	}
	if *fanout < 0 || *activations < 0 || *rounds < 1 {
		fmt.Fprintln(e.stderr, "crier bench: --fanout and --activations take a number of 0 or more, --rounds 1 or more")
		return exitUsage
	}
	o := bench.Options{Pending: 100_000, Robfig: 100_000, Deliveries: 1_000_000, Outcomes: 200_000, Samples: 200,
		Commands: 100_000, Restart: 1_000_000,
		Log: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if *quick {
		o.Pending, o.Robfig, o.Deliveries, o.Outcomes, o.Commands, o.Restart = 10_000, 10_000, 100_000, 50_000, 20_000, 100_000
	}
	run := func() ([]bench.Figure, error) { return bench.Run(ctx, o) }
	if *fanout > 0 {
		run = func() ([]bench.Figure, error) {
			fo := bench.FanoutOptions{People: *fanout, Rounds: *rounds, Log: o.Log}
			if self, err := os.Executable(); err == nil {
				fo.Crier = self // the fan-out through a crier serve process too
			}
			figs, err := bench.Fanout(ctx, fo)
			if err != nil || *activations == 0 {
				return figs, err
			}
			many, err := bench.Many(ctx, fo, *activations)
			return append(figs, many...), err
		}
	}
	figs, err := run()
	if err != nil {
		fmt.Fprintf(e.stderr, "crier bench: %v\n", err)
		return exitError
	}
	if *jsonOut {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(figs); err != nil {
			return exitError
		}
		return exitOK
	}
	bench.Table(e.stdout, figs)
	return exitOK
}
