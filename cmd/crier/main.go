// Command crier runs crisis-communications runbooks.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // runbook time zones work on machines without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second interrupt stops crier at once
	}()
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, now: time.Now})
	stop()
	os.Exit(code)
}

// env is what a subcommand may touch; tests pass their own.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader // nil: nothing to read
	now            func() time.Time
}

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1 // the input has errors
	exitUsage       = 2 // the command line is wrong
	exitInterrupted = 130
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, e env) int
}

func commands() []command {
	return []command{
		{"validate", "check runbook files and report every problem with its line", runValidate},
		{"plan", "show when each step of a runbook would happen", runPlan},
		{"pack", "write a runbook, its contacts and its plan as one printable HTML file", runPack},
		{"drill", "run a runbook as an exercise, end to end, and report on it", runDrill},
		{"serve", "run crier as a service: the HTTP API", runServe},
		{"activate", "activate a runbook on a crier server", runActivate},
		{"approve", "approve a message on a crier server", runApprove},
		{"reject", "reject a message on a crier server", runReject},
		{"ack", "acknowledge a task on a crier server", runAck},
		{"standdown", "stand an activation down on a crier server", runStandDown},
		{"halt", "halt an exercise on a crier server", runHalt},
		{"inject", "send an inject to an exercise on a crier server", runInject},
		{"speed", "change how fast an exercise runs on a crier server", runSpeed},
		{"rumour", "log, assess and correct rumours in an activation's register", runRumour},
		{"status", "show an activation on a crier server", runStatus},
		{"report", "print an activation's report from a crier server", runReport},
		{"audit", "verify crier's record against its hash chain", runAudit},
		{"cluster", "show a crier cluster's nodes and its leader", runCluster},
		{"snapshot", "save a running crier's state, or restore it into a data directory", runSnapshot},
		{"schema", "print the JSON Schema of the runbook format", runSchema},
		{"bench", "measure the engine against baselines taken in the same run", runBench},
		{"version", "print the crier version", runVersion},
		{"help", "show help for crier or a command", runHelp},
	}
}

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "--help", "-help":
		usage(e.stdout)
		return exitOK
	case "-v", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], e)
		}
	}
	fmt.Fprintf(e.stderr, "crier: unknown command %q\n\n", name)
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "crier runs crisis-communications runbooks.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: crier COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'crier help COMMAND' or 'crier COMMAND --help' for a command's flags.")
}

func runHelp(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] && c.name != "help" {
			return c.run(ctx, []string{"--help"}, e)
		}
	}
	if args[0] == "help" {
		usage(e.stdout)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "crier help: unknown command %q\n", args[0])
	return exitUsage
}
