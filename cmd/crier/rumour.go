package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
)

// The rumour register from the command line, as on the activation page
// and over the API: anyone signed in logs a rumour; a comms officer
// assesses it and writes its correction, which the runbook's rumours
// section approves.

type rumourOut struct {
	ID          string    `json:"id"`
	Summary     string    `json:"summary"`
	Source      string    `json:"source"`
	Where       string    `json:"where"`
	Communities []string  `json:"communities"`
	LoggedBy    string    `json:"logged_by"`
	LoggedAt    time.Time `json:"logged_at"`
	Verdict     string    `json:"verdict"`
	VerdictNote string    `json:"verdict_note"`
	Correction  string    `json:"correction"`
	CorrectedAt time.Time `json:"corrected_at"`
}

const rumourUsage = "crier rumour log|assess|correct|list …: 'crier rumour log --help' and so on for each"

func runRumour(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		out, code := e.stderr, exitUsage
		if len(args) > 0 {
			out, code = e.stdout, exitOK
		}
		fmt.Fprintln(out, "Usage: crier rumour log|assess|correct|list [flags] ARG\n\n"+
			"The rumour register of an activation on a crier server:\n"+
			"  log      log a rumour being spread (anyone signed in)\n"+
			"  assess   give a rumour its verdict: false, misleading, unverified or true\n"+
			"  correct  write a rumour's correction, held for the runbook's rumours approvers\n"+
			"  list     show an activation's register\n"+
			"Run 'crier rumour log --help' and so on for each one's flags.")
		return code
	}
	switch args[0] {
	case "log":
		return logRumour(ctx, args[1:], e)
	case "assess":
		return assessRumour(ctx, args[1:], e)
	case "correct":
		return correctRumour(ctx, args[1:], e)
	case "list":
		return listRumours(ctx, args[1:], e)
	}
	fmt.Fprintf(e.stderr, "crier rumour: unknown %q; %s\n", args[0], rumourUsage)
	return exitUsage
}

func logRumour(ctx context.Context, args []string, e env) int {
	var summary, source, where, seen *string
	var communities listFlag
	return checkedClientCommand(ctx, e, "rumour log", "--summary TEXT [--source WHO] [--where WHERE] [--seen-at RFC3339] [--communities A,B] ACTIVATION",
		"Log a rumour being spread, in the activation's register.", args,
		func(f *flag.FlagSet) {
			summary = f.String("summary", "", "what is being said (required)")
			source = f.String("source", "", "who or what is saying it")
			where = f.String("where", "", "where it was seen: a platform, a group, a street")
			seen = f.String("seen-at", "", "when it was seen (RFC 3339); when it is logged if not given")
			communities = nil
			f.Var(&communities, "communities", "the communities it affects, comma-separated (repeatable)")
		},
		func() error {
			if strings.TrimSpace(*summary) == "" {
				return errors.New("give --summary: what is being said")
			}
			if *seen != "" {
				if _, err := time.Parse(time.RFC3339, *seen); err != nil {
					return fmt.Errorf("--seen-at %q is not a time like 2026-12-02T14:05:00Z", *seen)
				}
			}
			return nil
		},
		func(ctx context.Context, c *client, activation string) (string, error) {
			body := map[string]any{"summary": *summary, "source": *source, "where": *where, "communities": communities}
			if *seen != "" {
				body["seen_at"] = *seen
			}
			var r rumourOut
			err := c.call(ctx, "POST", "/api/v1/activations/"+idPath(activation)+"/rumours", body, &r)
			return fmt.Sprintf("%s: logged — %s\n", r.ID, r.Summary), err
		})
}

func assessRumour(ctx context.Context, args []string, e env) int {
	var verdict, note *string
	return checkedClientCommand(ctx, e, "rumour assess", "--verdict false|misleading|unverified|true [--note TEXT] RUMOUR",
		"Give a rumour its verdict, as a comms officer. RUMOUR is its id, as 'crier rumour list' shows it.", args,
		func(f *flag.FlagSet) {
			verdict = f.String("verdict", "", "false, misleading, unverified or true (required)")
			note = f.String("note", "", "why: what the facts are, and who confirmed them")
		},
		func() error {
			switch *verdict {
			case "false", "misleading", "unverified", "true":
				return nil
			}
			return fmt.Errorf("give --verdict: false, misleading, unverified or true (not %q)", *verdict)
		},
		func(ctx context.Context, c *client, id string) (string, error) {
			path, err := rumourPath(id)
			if err != nil {
				return "", err
			}
			var r rumourOut
			err = c.call(ctx, "POST", path+"/assess", map[string]string{"verdict": *verdict, "note": *note}, &r)
			return fmt.Sprintf("%s: %s — %s\n", r.ID, r.Verdict, r.Summary), err
		})
}

func correctRumour(ctx context.Context, args []string, e env) int {
	var subject, body, bodyFile *string
	var to listFlag
	return checkedClientCommand(ctx, e, "rumour correct", "--to AUDIENCES --subject TEXT (--body TEXT | --body-file FILE) RUMOUR",
		"Write a rumour's correction to some of the runbook's audiences, as a comms officer. It is\n"+
			"held for approval by the runbook's rumours approvers (never its writer), then sent.", args,
		func(f *flag.FlagSet) {
			to = nil
			f.Var(&to, "to", "the runbook's audiences to send it to, comma-separated (repeatable; required)")
			subject = f.String("subject", "", "its subject (required)")
			body = f.String("body", "", "its text")
			bodyFile = f.String("body-file", "", "a file holding its text, or - for standard input")
		},
		func() error {
			switch {
			case len(to) == 0:
				return errors.New("give --to: the audiences the correction goes to")
			case strings.TrimSpace(*subject) == "":
				return errors.New("give --subject")
			}
			return checkBody("the correction's", *body, *bodyFile)
		},
		func(ctx context.Context, c *client, id string) (string, error) {
			path, err := rumourPath(id)
			if err != nil {
				return "", err
			}
			text, err := bodyText(e, *body, *bodyFile)
			if err != nil {
				return "", err
			}
			var m messageOut
			err = c.call(ctx, "POST", path+"/correction", map[string]any{"to": to, "subject": *subject, "body": text}, &m)
			return fmt.Sprintf("%s: the correction is %s\n", m.ID, strings.ReplaceAll(m.State, "_", " ")), err
		})
}

func listRumours(ctx context.Context, args []string, e env) int {
	return clientCommand(ctx, e, "rumour list", "ACTIVATION", "Show an activation's rumour register, oldest first.", args, nil,
		func(ctx context.Context, c *client, activation string) (string, error) {
			var list []rumourOut
			if err := c.call(ctx, "GET", "/api/v1/activations/"+idPath(activation)+"/rumours", nil, &list); err != nil {
				return "", err
			}
			if len(list) == 0 {
				return activation + ": no rumours logged\n", nil
			}
			var b strings.Builder
			for _, r := range list {
				fmt.Fprintf(&b, "%s, logged %s by %s: %s\n", r.ID, clockTime(r.LoggedAt), r.LoggedBy, r.Summary)
				if r.Where != "" || len(r.Communities) > 0 {
					fmt.Fprintf(&b, "  seen: %s", r.Where)
					if len(r.Communities) > 0 {
						fmt.Fprintf(&b, "; affects: %s", strings.Join(r.Communities, ", "))
					}
					b.WriteString("\n")
				}
				switch {
				case r.Verdict == "":
					b.WriteString("  not yet assessed\n")
				case r.VerdictNote != "":
					fmt.Fprintf(&b, "  %s: %s\n", r.Verdict, r.VerdictNote)
				default:
					fmt.Fprintf(&b, "  %s\n", r.Verdict)
				}
				switch {
				case !r.CorrectedAt.IsZero():
					fmt.Fprintf(&b, "  corrected %s (%s), %s after it was logged\n", clockTime(r.CorrectedAt), r.Correction,
						r.CorrectedAt.Sub(r.LoggedAt).Truncate(time.Second))
				case r.Correction != "":
					fmt.Fprintf(&b, "  correction %s written, not yet sent\n", r.Correction)
				}
			}
			return b.String(), nil
		})
}

// rumourPath is the API path of a rumour from its id: a-000001/rumour/12.
func rumourPath(id string) (string, error) {
	activation, n, ok := strings.Cut(id, "/rumour/")
	if !ok || activation == "" || n == "" || strings.Contains(n, "/") {
		return "", fmt.Errorf("%q is not a rumour's id, such as a-000001/rumour/12 ('crier rumour list ACTIVATION' shows them)", id)
	}
	return "/api/v1/activations/" + idPath(activation) + "/rumours/" + idPath(n), nil
}

// clockTime is a time as the person at the terminal reads it: their own
// clock, with its zone.
func clockTime(t time.Time) string {
	return t.Local().Format("Mon 2 Jan 15:04 MST")
}
