package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/notifiers/routes"
	"github.com/crierhq/crier/runbooks"
)

// sending is how a drill's messages go: routes built from a configuration,
// the given one or the embedded default (the outbox).
type sending struct {
	*routes.Built
	outbox string // where deliveries are written, when it is the outbox
}

// drillRoutes builds the routes for a drill of rb: with a configuration,
// its notifiers (refusing a runbook with a channel no notifier takes);
// without, the embedded default writing to outbox. Problems are printed;
// the error only says so.
func drillRoutes(e env, file, outbox string, rb *runbooks.Runbook) (*sending, error) {
	cfg := config.Default()
	cfg.Notifiers.Outbox.Dir = outbox
	if file != "" {
		var warnings []runbooks.Diagnostic
		var err error
		cfg, warnings, err = config.Load(file, os.LookupEnv)
		for _, w := range warnings {
			fmt.Fprintln(e.stderr, humanDiagnostic(w))
		}
		if err != nil {
			printLoadError(e, file, err)
			return nil, err
		}
	}
	if err := engine.CheckChannels(rb, true, cfg.Handles); err != nil {
		fmt.Fprintf(e.stderr, "crier drill: %s cannot be drilled with %s:\n%v\n", rb.ID, file, err)
		return nil, err
	}
	for _, w := range engine.UnreachableContacts(rb, cfg.Handles) {
		fmt.Fprintln(e.stderr, "warning: "+w)
	}
	built, err := routes.FromConfig(cfg, routes.Env{Lookup: os.LookupEnv, Now: e.now,
		Log:      slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Messages: slog.New(slog.NewTextHandler(e.stderr, nil))})
	if err != nil {
		fmt.Fprintf(e.stderr, "crier drill: %s: %v\n", file, err)
		return nil, err
	}
	s := &sending{Built: built}
	if cfg.OutboxOnly() {
		s.outbox = cfg.Notifiers.Outbox.Dir
	}
	return s, nil
}

// flagGiven reports whether a flag was set on the command line.
func flagGiven(flags *flag.FlagSet, name string) bool {
	given := false
	flags.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
