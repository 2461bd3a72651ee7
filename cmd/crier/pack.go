package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/crierhq/crier/runbooks"
	"github.com/crierhq/crier/server"
)

// runPack writes a runbook's pack: the runbook page of the web app as one
// self-contained HTML file, to print or keep for when IT is down.
func runPack(_ context.Context, args []string, e env) int {
	flags := newFlags("pack", "[--start TIME] [--exercise] [--directory FILE] [-o FILE] RUNBOOK.yaml",
		"Write a runbook pack: the runbook, every contact (each email address, phone number and\n"+
			"Slack id) and its plan from --start, as one HTML file with nothing outside it, to print\n"+
			"on A4 or keep on a laptop for when crier or IT is down. It is the runbook's page in the\n"+
			"web app, made from the same template.")
	startText := flags.String("start", "", "when the plan starts: 2026-03-28T09:00 in the runbook's time zone, or RFC3339 (default: now)")
	exercise := flags.Bool("exercise", false, "plan it as an exercise: with the scenario injects and the exercise channels")
	named := flags.String("directory", "", "the directory file the runbook points into (default: crier.yaml's directory:, or directory.yaml beside the runbook)")
	out := flags.String("o", "", "write the pack to this file (default: standard output)")
	files, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	if len(files) != 1 {
		fmt.Fprintln(e.stderr, "crier pack: name exactly one runbook file")
		return exitUsage
	}
	if _, err := os.Stat(files[0]); err != nil {
		fmt.Fprintf(e.stderr, "crier pack: %s: no such file\n", files[0])
		return exitUsage
	}
	if isDirectory(files[0]) {
		fmt.Fprintf(e.stderr, "crier pack: %s is the directory, not a runbook: name a runbook file to pack (crier finds the directory beside it, or give it as --directory)\n", files[0])
		return exitUsage
	}
	if isConfiguration(files[0]) { // as crier drill tells it apart
		fmt.Fprintf(e.stderr, "crier pack: %s is a crier configuration, not a runbook: name a runbook file to pack\n", files[0])
		return exitUsage
	}
	rb, err := runbooks.Load(files[0])
	if err != nil {
		printLoadError(e, files[0], err)
		return exitError
	}
	start := e.now().Truncate(time.Minute)
	if *startText != "" {
		if start, ok = packStart(*startText, rb.Location()); !ok {
			fmt.Fprintf(e.stderr, "crier pack: --start %q is not a time like 2026-03-28T09:00 (in %s) or 2026-03-28T09:00:00Z\n", *startText, rb.Location())
			return exitUsage
		}
	}
	dir, _, code, ok := DirectoryFor(e, "pack", *named, files[0], rb, start)
	if !ok {
		return code
	}
	var pack bytes.Buffer
	if err := server.RunbookPack(&pack, rb, start, server.PackOptions{Exercise: *exercise, Made: e.now(), Directory: dir}); err != nil {
		fmt.Fprintf(e.stderr, "crier pack: %v\n", err)
		return exitError
	}
	if *out == "" {
		if _, err := e.stdout.Write(pack.Bytes()); err != nil {
			fmt.Fprintf(e.stderr, "crier pack: %v\n", err)
			return exitError
		}
		return exitOK
	}
	if err := os.WriteFile(*out, pack.Bytes(), 0o644); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		fmt.Fprintf(e.stderr, "crier pack: cannot write %s: %v\n", *out, err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "Wrote the pack for %s to %s: print it on A4.\n", rb.ID, *out)
	return exitOK
}

// packStart reads --start: RFC3339, or a date and time in the runbook's zone.
func packStart(text string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, text, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
