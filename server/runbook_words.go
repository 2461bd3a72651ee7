package server

import (
	"strconv"
	"strings"
	"text/template/parse"

	"github.com/crierhq/crier/runbooks"
)

// A runbook's schedules and templates in words, for its page and pack:
// "every 4 hours", "at 08:00, 13:00 and 18:00 every day", and a message
// with blanks to fill in by hand, "[warning_level, in capitals]".

// scheduleWords says when a recurring step repeats. The common forms are
// said in words; any other spec is shown as written, marked (cron).
func scheduleWords(spec string) string {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every"); ok {
		if d, err := runbooks.ParseDuration(strings.TrimSpace(rest)); err == nil {
			return "every " + longDuration(runbooks.HumanDuration(d))
		}
	}
	switch spec {
	case "@hourly":
		return "every hour, on the hour"
	case "@daily", "@midnight":
		return "at 00:00 every day"
	case "@weekly":
		return "at 00:00 every Sunday"
	case "@monthly":
		return "at 00:00 on the 1st of every month"
	case "@yearly", "@annually":
		return "at 00:00 on 1 January every year"
	}
	f := strings.Fields(spec)
	if len(f) == 5 && f[2] == "*" && f[3] == "*" {
		minutes, okM := numbers(f[0], 59)
		hours, okH := numbers(f[1], 23)
		days, okD := weekdays(f[4])
		if okM && okH && okD && len(minutes)*len(hours) <= 12 {
			var times []string
			for _, h := range hours {
				for _, m := range minutes {
					times = append(times, pad2(h)+":"+pad2(m))
				}
			}
			return "at " + joinNames(times) + " " + days
		}
	}
	return spec + " (cron)"
}

// numbers reads a cron field that is a list of fixed numbers, 8,13,18.
func numbers(field string, most int) ([]int, bool) {
	var out []int
	for _, p := range strings.Split(field, ",") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > most {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// weekdays says a cron day-of-week field: "every day", "on Mondays",
// "on Mondays, Wednesdays and Fridays", "on weekdays".
func weekdays(field string) (string, bool) {
	switch field {
	case "*":
		return "every day", true
	case "1-5", "MON-FRI", "mon-fri":
		return "on weekdays", true
	}
	names := []string{"Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"}
	days, ok := numbers(field, 7)
	if !ok {
		return "", false
	}
	var out []string
	for _, d := range days {
		out = append(out, names[d])
	}
	return "on " + joinNames(out), true
}

// longDuration writes "4h" as "4 hours" and "1h 30m" as "1 hour 30
// minutes": words for a page, not a field to type into.
func longDuration(short string) string {
	units := map[byte][2]string{'w': {"week", "weeks"}, 'd': {"day", "days"}, 'h': {"hour", "hours"}, 'm': {"minute", "minutes"}, 's': {"second", "seconds"}}
	var out []string
	for _, part := range strings.Fields(short) {
		n, err := strconv.Atoi(part[:len(part)-1])
		u, ok := units[part[len(part)-1]]
		if err != nil || !ok {
			return short
		}
		if n == 1 {
			out = append(out, u[0])
			if len(strings.Fields(short)) > 1 {
				out[len(out)-1] = "1 " + u[0]
			}
			continue
		}
		out = append(out, strconv.Itoa(n)+" "+u[1])
	}
	return strings.Join(out, " ")
}

// blanks writes a message template as text to send by hand: each value
// crier would fill in is a blank in square brackets saying what goes
// there, "[area]", "[warning_level, in capitals]", "[the time it is
// sent, as 15:04]". A template too clever to say so is left as written.
func blanks(text string) string {
	trees, err := (&parse.Tree{Mode: parse.SkipFuncCheck}).Parse(text, "{{", "}}", map[string]*parse.Tree{})
	if err != nil || trees.Root == nil {
		return text
	}
	var b strings.Builder
	for _, n := range trees.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			b.Write(n.Text)
		case *parse.ActionNode:
			if w, ok := pipeWords(n.Pipe); ok && len(n.Pipe.Decl) == 0 {
				b.WriteString("[" + w + "]")
			} else {
				b.WriteString(n.String())
			}
		default:
			b.WriteString(n.String())
		}
	}
	return b.String()
}

// pipeWords says what a template's pipeline gives: a value, then what
// each function after a | does to it.
func pipeWords(p *parse.PipeNode) (string, bool) {
	var w string
	for i, c := range p.Cmds {
		var ok bool
		if i == 0 {
			w, ok = commandWords(c.Args, "")
		} else {
			w, ok = commandWords(c.Args, w)
		}
		if !ok {
			return "", false
		}
	}
	return w, w != ""
}

// commandWords says one command: a field alone, or a function of the
// format's on its arguments; piped, the value before it is its last.
func commandWords(args []parse.Node, piped string) (string, bool) {
	if len(args) == 1 && piped == "" {
		return fieldWords(args[0])
	}
	fn, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return "", false
	}
	var vals []string
	for _, a := range args[1:] {
		switch a := a.(type) {
		case *parse.StringNode:
			vals = append(vals, a.Text)
		default:
			w, ok := fieldWords(a)
			if !ok {
				return "", false
			}
			vals = append(vals, w)
		}
	}
	if piped != "" {
		vals = append(vals, piped)
	}
	switch {
	case fn.Ident == "upper" && len(vals) == 1:
		return vals[0] + ", in capitals", true
	case fn.Ident == "lower" && len(vals) == 1:
		return vals[0] + ", in small letters", true
	case fn.Ident == "default" && len(vals) == 2:
		return vals[1] + ", or “" + vals[0] + "”", true
	case fn.Ident == "date" && len(vals) == 2:
		return vals[1] + ", as " + vals[0], true
	}
	return "", false
}

// fieldWords says what a template's field holds.
func fieldWords(n parse.Node) (string, bool) {
	f, ok := n.(*parse.FieldNode)
	if !ok {
		return "", false
	}
	path := strings.Join(f.Ident, ".")
	if name, ok := strings.CutPrefix(path, "Params."); ok {
		return name, true
	}
	words := map[string]string{
		"Occurrence": "the number of this one", "Now": "the time it is sent", "Step.Title": "this step's title", "Step.ID": "this step's id",
		"Activation.ID": "the activation's id", "Activation.StartedAt": "the time of activation", "Activation.Event": "what happened",
		"Activation.Severity": "the severity", "Activation.Mode": "live or exercise", "Activation.Runbook": "the runbook's id",
		"Activation.Title": "the runbook's title",
	}
	w, ok := words[path]
	return w, ok
}
