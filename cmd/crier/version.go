package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func runVersion(ctx context.Context, args []string, e env) int {
	fs := newFlags("version", "", "Print the crier version, the commit it was built from and the Go version.")
	if _, code, ok := parseFlags(fs, args, e); !ok {
		return code
	}
	fmt.Fprintf(e.stdout, "crier %s (runbook format version 1, %s)\n", version(), runtime.Version())
	return exitOK
}

// version is the module version, or the commit for a build from a checkout.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		return "devel-" + rev[:min(12, len(rev))] + modified
	}
	if v == "" {
		return "(devel)"
	}
	return v
}
