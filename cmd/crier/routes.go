package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/notifiers/routes"
	"github.com/crierhq/crier/runbooks"
)

// sending is how a drill's messages go: routes built from a configuration,
// the given one or the embedded default (the outbox).
type sending struct {
	*routes.Built
	outbox string // the drill's own file in the outbox, when it is the outbox
}

// drillRoutes builds the routes for a drill of rb: with a configuration,
// its notifiers (refusing a runbook with a channel no notifier takes);
// without, the embedded default writing to a file of the drill's own in
// the outbox directory. Problems are printed;
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
	if o := outboxOf(built); o != nil {
		file, err := claimDrillFile(o.Dir, rb.ID, e.now())
		if err != nil {
			built.Close()
			fmt.Fprintf(e.stderr, "crier drill: the outbox: %v\n", err)
			return nil, err
		}
		o.File, s.outbox = filepath.Base(file), file
	}
	return s, nil
}

// outboxOf is the outbox every message goes to, when it is the only
// notifier, or nil.
func outboxOf(b *routes.Built) *notifiers.Outbox {
	if b.Options.Default == nil {
		return nil
	}
	o, _ := b.Options.Default.Notifier.(*notifiers.Outbox)
	return o
}

// claimDrillFile makes the file in the outbox directory a drill's
// deliveries go to: drill-RUNBOOK-TIME.jsonl, with -2, -3… after it when a
// drill of the same runbook started in the same second. Each drill has its
// own: every drill's activation has the same id, so the file per
// activation that crier serve writes would mix them.
func claimDrillFile(dir string, runbook runbooks.Slug, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	base := filepath.Join(dir, fmt.Sprintf("drill-%s-%s", runbook, now.UTC().Format("20060102T150405Z")))
	for n := 1; ; n++ {
		name := base + ".jsonl"
		if n > 1 {
			name = fmt.Sprintf("%s-%d.jsonl", base, n)
		}
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
		if errors.Is(err, fs.ErrExist) && n < 1000 {
			continue
		}
		if err != nil {
			return "", err
		}
		return name, f.Close()
	}
}

// flagGiven reports whether a flag was set on the command line.
func flagGiven(flags *flag.FlagSet, name string) bool {
	given := false
	flags.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
