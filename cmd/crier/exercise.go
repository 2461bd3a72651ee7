package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/crierhq/crier/server"
)

// The exercise lead's controls of a running exercise, as the web app's
// activation page has them: halt it, send an inject, change its speed.

func runHalt(ctx context.Context, args []string, e env) int {
	var reason *string
	return checkedClientCommand(ctx, e, "halt", "--reason TEXT ACTIVATION",
		"Halt an exercise: nothing more fires or is sent, and the record says why.\n"+
			"For exercises only: a live activation is stood down (crier standdown).", args,
		func(f *flag.FlagSet) { reason = f.String("reason", "", "why, for the record (required)") },
		func() error { return needReason(*reason, "why the exercise is halted") },
		func(ctx context.Context, c *client, id string) (string, error) {
			var a activationOut
			err := c.call(ctx, "POST", "/api/v1/activations/"+idPath(id)+"/halt", map[string]string{"reason": *reason}, &a)
			return fmt.Sprintf("%s: %s\n", a.ID, strings.ReplaceAll(a.State, "_", " ")), err
		})
}

func runInject(ctx context.Context, args []string, e env) int {
	var to listFlag
	var body, bodyFile *string
	return checkedClientCommand(ctx, e, "inject", "--to TARGET[,TARGET]... (--body TEXT | --body-file FILE) ACTIVATION",
		"Send an inject during an exercise: a scenario message the plan did not schedule, to the\n"+
			"channels, audiences, stakeholders or roles (role:NAME) of the runbook named, marked as\n"+
			"the exercise. --body-file - reads the text from standard input.", args,
		func(f *flag.FlagSet) {
			to = nil
			f.Var(&to, "to", "who the inject goes to: channels, audiences, stakeholders or role:NAME, comma-separated (repeatable)")
			body = f.String("body", "", "the inject's text")
			bodyFile = f.String("body-file", "", "a file holding the inject's text, or - for standard input")
		},
		func() error {
			switch {
			case len(to) == 0:
				return errors.New("give --to: the channels, audiences, stakeholders or roles (role:NAME) the inject goes to")
			}
			return checkBody("the inject's", *body, *bodyFile)
		},
		func(ctx context.Context, c *client, id string) (string, error) {
			text, err := bodyText(e, *body, *bodyFile)
			if err != nil {
				return "", err
			}
			var a activationOut
			err = c.call(ctx, "POST", "/api/v1/activations/"+idPath(id)+"/injects", map[string]any{"to": to, "body": text}, &a)
			return fmt.Sprintf("%s: inject sent to %s\n", a.ID, strings.Join(to, ", ")), err
		})
}

// checkBody checks that whose text is given once, by --body or by a
// --body-file that is there (- for standard input).
func checkBody(whose, body, file string) error {
	switch {
	case body != "" && file != "":
		return fmt.Errorf("give %s text once: --body TEXT or --body-file FILE, not both", whose)
	case body == "" && file == "":
		return fmt.Errorf("give %s text: --body TEXT, or --body-file FILE (- for standard input)", whose)
	case file != "" && file != "-":
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("--body-file %s: %s", file, describeFileError(err))
		}
	}
	return nil
}

// bodyText is the text of an inject or a message: --body, or the file
// --body-file names (- for standard input), without the newline that
// ends a file.
func bodyText(e env, body, file string) (string, error) {
	if file == "" {
		return body, nil
	}
	var r io.Reader = e.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--body-file %s: %s", file, describeFileError(err))
		}
		defer f.Close()
		r = f
	}
	if r == nil {
		return "", nil
	}
	data, err := io.ReadAll(io.LimitReader(r, server.MaxBody+1))
	if err != nil {
		return "", fmt.Errorf("--body-file %s: %w", file, err)
	}
	if len(data) > server.MaxBody {
		return "", fmt.Errorf("--body-file %s: larger than the %d bytes a request may carry", file, server.MaxBody)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

func runSpeed(ctx context.Context, args []string, e env) int {
	flags := newFlags("speed", "[--server URL] N ACTIVATION",
		"Change how fast an exercise runs, from now: N scenario seconds per real second, from 1 (real\n"+
			"time) to 10,000 (about a week a minute); 60 is an hour a minute. Scenario time so far\n"+
			"stands; what is still to come is placed again at the new speed.\nThe token is read from CRIER_TOKEN.")
	serverURL := clientFlags(flags)
	rest, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	if len(rest) != 2 {
		fmt.Fprintln(e.stderr, "crier speed: give the speed and the activation: crier speed N ACTIVATION")
		return exitUsage
	}
	speed, err := strconv.ParseFloat(rest[0], 64)
	if err != nil || math.IsNaN(speed) || math.IsInf(speed, 0) {
		fmt.Fprintf(e.stderr, "crier speed: %q is not a speed; give scenario seconds per real second, such as 60 (an hour a minute)\n", rest[0])
		return exitUsage
	}
	c, ok := newClient("speed", *serverURL, e)
	if !ok {
		return exitUsage
	}
	var a struct {
		ID    string
		Speed float64
	}
	if err := c.call(ctx, "POST", "/api/v1/activations/"+idPath(rest[1])+"/speed", map[string]float64{"speed": speed}, &a); err != nil {
		fmt.Fprintf(e.stderr, "crier speed: %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "%s: runs at %gx from now\n", a.ID, a.Speed)
	return exitOK
}
