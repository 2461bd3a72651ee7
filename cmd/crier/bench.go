package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/crierhq/crier/bench"
)

func runBench(ctx context.Context, args []string, e env) int {
	flags := newFlags("bench", "[--json] [--quick]",
		"Measure the engine: scheduler load and firing lateness, activation to first delivery,\n"+
			"memory per delivery record and delivery outcome throughput, each beside a baseline\n"+
			"measured in the same run. The robfig/cron baseline loads its entries while running,\n"+
			"which takes minutes at 100,000; --quick measures everything at a tenth of the size.")
	jsonOut := flags.Bool("json", false, "print an array of {name, value, unit, baseline, baseline_value, ratio}")
	quick := flags.Bool("quick", false, "a smaller, faster run")
	if _, code, ok := parseFlags(flags, args, e); !ok {
		return code
	}
	o := bench.Options{Pending: 100_000, Robfig: 100_000, Deliveries: 1_000_000, Outcomes: 200_000, Samples: 200,
		Commands: 100_000, Restart: 1_000_000,
		Log: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if *quick {
		o.Pending, o.Robfig, o.Deliveries, o.Outcomes, o.Commands, o.Restart = 10_000, 10_000, 100_000, 50_000, 20_000, 100_000
	}
	tuneGC() // as crier serve runs
	figs, err := bench.Run(ctx, o)
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
