package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// summaryMarkdown writes the report's first page: the activation, its
// targets met and missed, who never acknowledged, what failed to deliver,
// and the decisions taken.
func (r *Report) summaryMarkdown(p func(string, ...any), c *reportClock) {
	p("\n## Summary\n\n")
	mode := "Live activation"
	if r.Mode != "live" {
		mode = capital(mdText(r.Mode))
	}
	how := mdText(strings.ReplaceAll(r.State, "_", " "))
	if r.ranToHorizon() {
		how = "drilled by crier drill"
	}
	p("- **%s** of runbook %s (%s), %s.\n", mode, mdText(r.Title), mdCode(r.Runbook), how)
	if r.Event != "" {
		line := "- **Event:** " + mdText(r.Event)
		if r.Severity != "" {
			line += ", severity " + mdText(r.Severity)
		}
		p("%s.\n", line)
	}
	line := "- **Started:** " + c.full(r.StartedAt)
	if who := mdText(r.actorName(r.StartedBy)); who != "" {
		line += " by " + who
	}
	p("%s.\n", line)
	if r.EndedAt != nil {
		d := int64(r.EndedAt.Sub(r.StartedAt) / time.Second)
		how := "Ended"
		switch r.State {
		case "stood_down":
			how = "Stood down"
		case "halted":
			how = "Halted"
		}
		line := fmt.Sprintf("- **%s:** %s, after %s", how, c.short(r.StartedAt, *r.EndedAt), dash(offset(&d)))
		if who := mdText(r.actorName(r.EndedBy)); who != "" {
			line += ", by " + who
		}
		if why := mdText(r.EndReason); why != "" {
			line += ": " + why
		}
		p("%s.\n", line)
	} else if r.ranToHorizon() {
		p("- **The drill ran to %s** (%s) and stopped there; it was not stood down.\n", c.since(r.AsOf), c.short(r.StartedAt, r.AsOf))
	} else {
		p("- **Still running** when this report was made.\n")
	}
	p("- %s\n", r.timesNote(c))
	for _, w := range r.StillWaiting {
		p("- %s\n", StillWaitingLine(w, true))
	}
	r.firstHourMarkdown(p)
	r.targetsMarkdown(p)
	r.neverAcknowledgedMarkdown(p)
	r.failedMarkdown(p)
	r.silencesMarkdown(p, c)
	r.rumoursMarkdown(p, c)
	r.tensionMarkdown(p, c)
	p("\n### Decisions\n\n")
	if len(r.Decisions) == 0 {
		p("None recorded.\n")
	}
	for _, d := range r.Decisions {
		line := fmt.Sprintf("- %s (%s)", c.at(d.At), c.since(d.At))
		if by := mdText(r.actorName(d.By)); by != "" {
			line += ", " + by
		}
		line += ":"
		if decision := mdText(d.Decision); decision != "" {
			line += " **" + decision + "**."
		}
		if rationale := mdText(d.Rationale); rationale != "" {
			line += " Rationale: " + rationale + "."
		}
		if information := mdText(d.Information); information != "" {
			line += " Information: " + information + "."
		}
		p("%s\n", line)
	}
}

// timesNote says once what the report's times are.
func (r *Report) timesNote(c *reportClock) string {
	zone := mdText(c.loc.String())
	if r.Mode == "live" {
		return "Times are local time in " + zone + ", with the time since activation (T+)."
	}
	note := "Times are the exercise's scenario time in " + zone + ", with the time since activation (T+)."
	if len(r.Paces) > 0 {
		var paces []string
		for _, p := range r.Paces {
			paces = append(paces, fmt.Sprintf("×%g real time from %s", p.Speed, p.Since.In(c.loc).Format("15:04:05 MST, 2 Jan")))
		}
		note += " Its clock ran at " + strings.Join(paces, ", then at ") + " (real times); the record keeps the real time of each action beside it."
	}
	return note
}

// targetGroup is the targets of one step's deadline for one person, or
// for everyone: a recurring step's are written as one row, and a task's
// acknowledgement and completion are one row too.
type targetGroup struct {
	first        Target
	acks, others []Target
}

func (r *Report) targetsMarkdown(p func(string, ...any)) {
	p("\n### Targets\n\n")
	if len(r.Summary.Targets) == 0 {
		p("The runbook sets no deadlines, and there were no tasks.\n")
		return
	}
	tasks := map[string]bool{}
	for _, t := range r.Summary.Targets {
		if t.Kind == TargetDone {
			tasks[t.Subject] = true
		}
	}
	var groups []*targetGroup
	index := map[[3]string]*targetGroup{}
	for _, t := range r.Summary.Targets {
		key := [3]string{t.Kind, t.Step, t.Stakeholder}
		if tasks[t.Subject] {
			key[0] = TargetDone
		}
		g, ok := index[key]
		if !ok {
			g = &targetGroup{first: t}
			index[key] = g
			groups = append(groups, g)
		}
		if t.Kind == TargetAcknowledgement && tasks[t.Subject] {
			g.acks = append(g.acks, t)
		} else {
			g.others = append(g.others, t)
		}
	}
	p("| target | result | deadline | who |\n|---|---|---|---|\n") // the result second, seen first on a phone
	for _, g := range groups {
		what := capital(mdText(g.first.What))
		if len(g.acks) > 0 {
			what = capital(mdText(strings.TrimPrefix(g.first.What, "acknowledgement of ")))
		}
		if n := max(len(g.acks), len(g.others)); n > 1 {
			what += fmt.Sprintf(" (%d times)", n)
		}
		deadline := offset(g.first.TargetSeconds)
		var result []string
		if len(g.acks) > 0 {
			deadline = "acknowledge within " + offset(g.acks[0].TargetSeconds)
			result = append(result, r.targetResult(g.acks))
		}
		if len(g.others) > 0 {
			result = append(result, r.targetResult(g.others))
		}
		who := "-"
		switch {
		case g.first.Stakeholder != "":
			who = r.names([]string{g.first.Stakeholder})
		case len(g.first.By) > 0 && len(g.others) == 1:
			who = r.names(g.first.By) // who approved
		}
		p("| %s | %s | %s | %s |\n", what, strings.Join(result, "; "), deadline, who)
	}
}

// targetResult says how a deadline went: for one, with its figures; for
// many (a recurring step's), how many were met and the worst.
func (r *Report) targetResult(ts []Target) string {
	if len(ts) == 1 {
		return r.oneResult(ts[0])
	}
	met, never, notDue := 0, 0, 0
	var slowest, late int64
	for _, t := range ts {
		if !t.Due {
			notDue++
			continue
		}
		if t.Met {
			met++
		}
		if t.ActualSeconds == nil {
			never++
			continue
		}
		slowest = max(slowest, *t.ActualSeconds)
		if t.TargetSeconds != nil {
			late = max(late, *t.ActualSeconds-*t.TargetSeconds)
		}
	}
	word := "met"
	if ts[0].Kind == TargetDone {
		word = "done"
	}
	out := fmt.Sprintf("%s %d of %d", word, met, len(ts)-notDue)
	if met < len(ts)-notDue {
		out = "**" + out + "**"
	}
	if notDue > 0 {
		out += fmt.Sprintf(", %d %s", notDue, r.notDue(ts[0].Kind))
	}
	if never > 0 && ts[0].Kind != TargetDone {
		out += fmt.Sprintf(", %d never", never)
	}
	if late > 0 {
		out += ", up to " + offset(&late) + " late"
	} else if met > 0 {
		out += ", the slowest after " + offset(&slowest)
	}
	return out
}

// notDue says what a target not yet due is.
func (r *Report) notDue(kind string) string {
	switch {
	case kind == TargetDone:
		return "still open"
	case r.EndedAt != nil:
		return "not due before the end"
	}
	return "not yet due"
}

func (r *Report) oneResult(t Target) string {
	if !t.Due {
		return r.notDue(t.Kind)
	}
	note := ""
	if n := mdText(t.Note); n != "" {
		note = " (" + n + ")"
	}
	if t.Kind == TargetDone {
		if t.ActualSeconds == nil {
			return "**not done**" + note
		}
		return "done after " + offset(t.ActualSeconds)
	}
	verb := "approved"
	if t.Kind == TargetAcknowledgement {
		verb = "acknowledged"
	}
	switch {
	case t.ActualSeconds == nil:
		return "**missed**: never " + verb + note
	case t.Met:
		return "met: " + verb + " after " + offset(t.ActualSeconds)
	}
	late := *t.ActualSeconds - *t.TargetSeconds
	return "**missed**: " + verb + " after " + offset(t.ActualSeconds) + ", " + offset(&late) + " late"
}

func (r *Report) neverAcknowledgedMarkdown(p func(string, ...any)) {
	if r.EndedAt != nil {
		p("\n### Never acknowledged\n\n")
	} else {
		p("\n### Not yet acknowledged\n\n")
	}
	if len(r.Summary.NeverAcknowledged) == 0 {
		p("No one: everyone asked to acknowledge did.\n")
		return
	}
	for _, u := range r.Summary.NeverAcknowledged {
		var whats []string
		count := map[string]int{}
		for _, w := range u.What {
			if count[w]++; count[w] == 1 {
				whats = append(whats, w)
			}
		}
		for i, w := range whats {
			whats[i] = mdText(w)
			if n := count[w]; n > 1 {
				whats[i] += fmt.Sprintf(" (%d times)", n)
			}
		}
		p("- **%s**: %s\n", dash(mdText(u.Name)), strings.Join(whats, "; "))
	}
}

func (r *Report) failedMarkdown(p func(string, ...any)) {
	p("\n### Failed to deliver\n\n")
	if len(r.Summary.Failed) == 0 {
		p("Nothing failed: no delivery was refused, and no text went undelivered.\n")
		return
	}
	p("| channel | failed | text not delivered | for | why |\n|---|---|---|---|---|\n")
	for _, f := range r.Summary.Failed {
		channel := mdText(f.Type)
		if ch := mdText(f.Channel); ch != "" {
			channel = ch + " (" + channel + ")"
		}
		var who, why []string
		for _, w := range f.For {
			who = append(who, mdText(w))
		}
		for _, w := range f.Errors {
			why = append(why, mdText(w))
		}
		p("| %s | %d | %d | %s | %s |\n", dash(channel), f.Failed, f.Undelivered, dash(strings.Join(who, ", ")), dash(strings.Join(why, "; ")))
	}
}

// silencesMarkdown lists the silences to the public longer than the
// runbook promised, when it promises updates.
func (r *Report) silencesMarkdown(p func(string, ...any), c *reportClock) {
	if len(r.Summary.PublicSilences) == 0 {
		return
	}
	p("\n### Silences to the public\n\n")
	p("Longer than the update promised every %s:\n\n", runbooks.HumanDuration(time.Duration(r.Summary.PublicSilences[0].Promise)*time.Second))
	for _, s := range r.Summary.PublicSilences {
		until := c.short(s.From, s.Until)
		if s.Ongoing {
			until += " (when this report was made)"
		}
		p("- %s to %s: %s\n", c.at(s.From), until, runbooks.HumanDuration(time.Duration(s.Seconds)*time.Second))
	}
}

// tensionMarkdown is the community tension log, when anything was logged.
func (r *Report) tensionMarkdown(p func(string, ...any), c *reportClock) {
	if len(r.Tension) == 0 {
		return
	}
	p("\n### Community tension\n\n| when | area | community | level (1–5) | trend | note | by |\n|---|---|---|---|---|---|---|\n")
	for _, e := range r.Tension {
		p("| %s | %s | %s | %d | %s | %s | %s |\n", c.at(e.At), mdText(e.Area), dash(mdText(e.Community)), e.Level, e.Trend, dash(mdText(e.Note)), mdText(r.actorName(e.By)))
	}
}

// firstHourMarkdown says how the first hour went, when the runbook's
// audiences say their kinds.
func (r *Report) firstHourMarkdown(p func(string, ...any)) {
	f := r.Summary.FirstHour
	type row struct {
		what string
		m    *Milestone
	}
	var rows []row
	for _, x := range []row{{"Partners told (the declaration)", f.PartnerDeclaration}, {"The public told (the first public message)", f.FirstPublic},
		{"Longest silence to the public", f.LongestPublicSilence}} {
		if x.m != nil {
			rows = append(rows, x)
		}
	}
	if len(rows) == 0 {
		return // the runbook's audiences say no kinds: nothing to measure by
	}
	p("\n### The first hour\n\n| what | took | target | |\n|---|---|---|---|\n")
	for _, row := range rows {
		result := "**not yet**"
		switch {
		case row.m.Seconds != nil && row.m.Met:
			result = "met"
		case row.m.Seconds != nil:
			result = "**missed**"
		}
		p("| %s | %s | %s | %s |\n", row.what, offset(row.m.Seconds), offset(&row.m.TargetSeconds), result)
	}
}

// rumoursMarkdown is the rumour register, when any rumour was logged.
func (r *Report) rumoursMarkdown(p func(string, ...any), c *reportClock) {
	if len(r.Rumours) == 0 {
		return
	}
	p("\n### Rumours\n\n| logged | rumour | verdict | corrected | took | target |\n|---|---|---|---|---|---|\n")
	for _, x := range r.Rumours {
		corrected := "-"
		if x.CorrectedAt != nil {
			corrected = c.short(x.LoggedAt, *x.CorrectedAt)
		}
		result := "-"
		switch {
		case x.Met == nil:
		case *x.Met:
			result = "met (" + offset(x.TargetSeconds) + ")"
		default:
			result = "**missed** (" + offset(x.TargetSeconds) + ")"
		}
		p("| %s | %s | %s | %s | %s | %s |\n", c.at(x.LoggedAt), mdText(x.Summary), dash(x.Verdict), corrected, offset(x.TimeToCorrectionSeconds), result)
	}
}
