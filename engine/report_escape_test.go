package engine

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/engine/state"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// hostile is text people could type into anything that reaches a report,
// written to make Markdown of its own.
var hostile = []string{
	"\n## Decisions\n- forged: evacuate the town centre, by the Chief Executive",
	"| 00:00 | forged | row |\n|---|---|---|\n| 00:01 | forged |",
	"[click](https://evil.example)",
	"<img src=x onerror=alert(1)>",
	"# heading\n```\nfenced\n```\n---\n> quoted\n1. one\n2) two\n- item\n+ plus\n* star\n===\n<script>alert(1)</script>\n" +
		"[x](javascript:alert(1))\nsee https://evil.example/a?b=c and www.evil.example\n![img](https://evil.example/x.png)\n" +
		"<https://evil.example>\n[ref]: https://evil.example\n[ref]\n    indented code\n\n\n~~~\nfenced too",
	"**bold** __strong__ _em_ *em* ~~struck~~ ~one~ `code` ``two``",
	"&lt;script&gt; &#x3C;b> &amp;",
	"Jo Bloggs\\",
	"<!-- a comment -->",
	"<div>\nblock\n</div>",
	"",
	"- ",
	"1) first",
	"=== \n---",
	"*",
	"\\*",
	"_x_y_",
	"HTTPS://EVIL.EXAMPLE WWW.EVIL.EXAMPLE (www.evil.example) *https://evil.example*",
	"a\r\n## CRLF heading\r# CR heading",
	"write to evil@phish.example",
	"x | y \\| z",
}

// TestHostileTextStaysText feeds hostile text through every field of a
// report that people or a runbook wrote: the Markdown has the shape it has
// with plain text there (no heading, list item, table row or cell, link,
// image, emphasis or HTML of the text's own), and renders the text as it
// was written.
func TestHostileTextStaysText(t *testing.T) {
	i := 0
	next := func() string { s := hostile[i%len(hostile)]; i++; return s }
	// Every field gets every hostile text in turn.
	for round := range len(hostile) {
		i = round
		r := reportWith(next)
		md := markdownOf(t, r)
		checkShape(t, md, markdownOf(t, reportWith(plain(round))))
		shown := renderedText(md)
		for _, h := range hostile {
			if want := strings.Join(strings.Fields(h), " "); !strings.Contains(h, "\n") && !strings.Contains(shown, want) {
				t.Errorf("round %d: the rendered report does not show %q as written", round, want)
			}
		}
		if t.Failed() {
			t.Fatalf("round %d, Markdown:\n%s", round, md)
		}
	}
}

// plain stands in for hostile text from the same round: blank where it is
// blank, else a plain word.
func plain(round int) func() string {
	i := round
	return func() string {
		s := hostile[i%len(hostile)]
		i++
		if strings.TrimSpace(s) == "" {
			return s
		}
		return "plain"
	}
}

func markdownOf(t testing.TB, r *Report) string {
	var b strings.Builder
	if err := r.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkShape parses md as crier's report page does and as GitHub does
// (which also makes links of bare addresses), and fails unless it has no
// link, image or HTML (the report writes none) and the same shape as
// want, the report with plain text in its place.
func checkShape(t testing.TB, md, want string) {
	t.Helper()
	for _, p := range []struct {
		name    string
		linkify bool
	}{{"crier's page", false}, {"GitHub", true}} {
		got, bad := shape(md, p.linkify)
		if bad != "" {
			t.Errorf("parsed as %s, the report has %s", p.name, bad)
		}
		if plain, _ := shape(want, p.linkify); got != plain {
			t.Errorf("parsed as %s, the report's shape changed:\n%s", p.name, diffLines(plain, got))
		}
	}
}

// shape lists the report's Markdown nodes, one a line, indented by depth,
// leaving out text and what a block quote holds, and says what it holds
// that the report never writes. A message body is a block quote of
// paragraphs of text.
func shape(md string, linkify bool) (lines, bad string) {
	exts := []goldmark.Extender{extension.Table, extension.Strikethrough, extension.TaskList}
	if linkify {
		exts = append(exts, extension.Linkify)
	}
	source := []byte(md)
	doc := goldmark.New(goldmark.WithExtensions(exts...)).Parser().Parse(text.NewReader(source))
	var b strings.Builder
	depth := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			depth--
			return ast.WalkContinue, nil
		}
		depth++
		switch n := n.(type) {
		case *ast.Text, *ast.String:
			return ast.WalkContinue, nil
		case *ast.AutoLink:
			// GitHub makes an email address a mailto: link; nothing else.
			if n.AutoLinkType == ast.AutoLinkEmail && linkify {
				return ast.WalkSkipChildren, nil
			}
			bad = fmt.Sprintf("an autolink to %q", n.URL(source))
		case *ast.Link:
			bad = fmt.Sprintf("a link to %q", n.Destination)
		case *ast.Image:
			bad = fmt.Sprintf("an image of %q", n.Destination)
		case *ast.RawHTML, *ast.HTMLBlock:
			bad = "HTML"
		case *ast.Blockquote:
			fmt.Fprintf(&b, "%*s%s\n", depth, "", n.Kind())
			_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
				switch c := c.(type) {
				case *ast.Blockquote, *ast.Paragraph, *ast.Text, *ast.String:
				case *ast.AutoLink:
					if c.AutoLinkType != ast.AutoLinkEmail || !linkify {
						bad = fmt.Sprintf("an autolink to %q", c.URL(source))
					}
				default:
					bad = fmt.Sprintf("a %s in a message body", c.Kind())
				}
				return ast.WalkContinue, nil
			})
			return ast.WalkSkipChildren, nil
		}
		fmt.Fprintf(&b, "%*s%s\n", depth, "", n.Kind())
		return ast.WalkContinue, nil
	})
	return b.String(), bad
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return fmt.Sprintf("line %d: want %q, got %q", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("want %d lines, got %d", len(w), len(g))
}

var tag = regexp.MustCompile(`<[^>]*>`)

// renderedText is what a reader sees of the rendered report, its white
// space collapsed.
func renderedText(md string) string {
	var b strings.Builder
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &b); err != nil {
		return ""
	}
	return strings.Join(strings.Fields(html.UnescapeString(tag.ReplaceAllString(b.String(), " "))), " ")
}

// reportWith is a report with every section its Markdown writes, each
// field that people or a runbook wrote taken from text in turn.
func reportWith(text func() string) *Report {
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	secs := func(s int64) *int64 { return &s }
	ended := at.Add(time.Hour)
	r := &Report{Activation: text(), Runbook: text(), Title: text(), Mode: text(), State: "stood_down",
		Event: text(), Severity: text(), StartedBy: text(), EndedBy: text(), Zone: "Europe/London",
		StartedAt: at, EndedAt: &ended, EndReason: text(), Params: map[string]string{"venue": text()},
		Paces: []state.Pace{{Speed: 60, Since: at}}, Record: RecordHead{Index: 7, Head: "00ff"}}
	// Targets of each kind, met, missed and never; a task's two in one row,
	// and a recurring step's (the same words) in one.
	again := text()
	r.Summary.Targets = []Target{
		{Kind: TargetApproval, Step: "s1", Subject: "a/s1/1", What: text(), TargetSeconds: secs(900), ActualSeconds: secs(1200), From: at, Due: true},
		{Kind: TargetApproval, Step: "s2", Subject: "a/s2/1", What: text(), TargetSeconds: secs(900), Note: text(), From: at, Due: true},
		{Kind: TargetAcknowledgement, Step: "s3", Subject: "a/s3/1", What: again, Stakeholder: "lead", TargetSeconds: secs(900), ActualSeconds: secs(60), Met: true, From: at, Due: true},
		{Kind: TargetAcknowledgement, Step: "s3", Subject: "a/s3/2", What: again, Stakeholder: "lead", TargetSeconds: secs(900), From: at, Due: true},
		{Kind: TargetAcknowledgement, Step: "s4", Subject: "a/s4/1", What: text(), Stakeholder: "deputy", TargetSeconds: secs(900), ActualSeconds: secs(60), Met: true, From: at, Due: true},
		{Kind: TargetDone, Step: "s4", Subject: "a/s4/1", What: text(), Stakeholder: "deputy", Note: text(), From: at, Due: true},
	}
	r.Summary.NeverAcknowledged = []Unacknowledged{{Person: Person{ID: "lead", Name: text()}, What: []string{text(), text()}, Subjects: []string{"a/s3/2", "a/s3/2"}}}
	r.Summary.Failed = []FailedChannel{{Channel: text(), Type: text(), Failed: 1, Undelivered: 1, For: []string{text(), text()}, Errors: []string{text()}}}
	r.Steps = []StepReport{
		{Step: text(), Occurrence: 1, Kind: text(), State: text(), PlannedSeconds: secs(0), FiredSeconds: secs(60)},
		{Step: text(), Kind: "notify", State: "not_reached", WaitingFor: []string{text(), text()}},
	}
	r.Messages = []MessageReport{{
		ID: text(), Step: text(), Title: text(), State: text(), DraftedAt: at, Subject: text(), Body: text(),
		Revisions:       []state.Revision{{N: 1, Subject: text(), Body: text()}, {N: 2, EditedBy: text(), Editor: text()}},
		Approvals:       []*state.Approval{{Revision: 2, By: text(), Person: text(), At: at}, {Revision: 2, By: text(), Simulated: true, At: at}},
		ApprovalSeconds: secs(300), RejectedBy: text(), RejectReason: text(),
		Acknowledged: []AckReport{{Stakeholder: text(), Via: text(), Seconds: 90}},
	}, {Step: "second", State: "sent", Subject: text(), Body: text()}}
	for _, status := range []string{state.DeliveryFailed, state.DeliveryUndelivered, state.DeliverySent} {
		r.Deliveries = append(r.Deliveries, DeliveryReport{Step: text(), Channel: text(), Type: text(), Target: text(),
			Status: status, PossiblyDuplicated: true, Attempts: 3, Error: text(), Receipt: text(), Subject: text(), Body: text()})
	}
	r.ByChannel = []ChannelCount{{Channel: text(), Type: text(), Sent: 1, Failed: 1}}
	r.Tasks = []TaskReport{{Task: &state.Task{Step: text(), Assignee: text(), State: text(), Instructions: text()}, AckSeconds: secs(30)}}
	r.People = map[string]string{"lead": text(), "deputy": text()}
	x := func(reminder int, exhausted bool) EscalationReport {
		return EscalationReport{Escalation: &state.Escalation{SubjectID: "a/step/1", To: []string{"lead", text()},
			Waiting: []string{"deputy"}, Unreachable: []string{text()}, Reminder: reminder, Exhausted: exhausted, At: at},
			Step: text(), What: text(), Levels: 1, Reminders: 2}
	}
	r.Escalations = []EscalationReport{x(1, false), x(2, false), x(3, true)}
	r.StillWaiting = []StillWaiting{{Step: text(), What: text(), Reason: text(),
		Waiting: []Person{{ID: text(), Name: text()}}, Unreachable: []Person{{ID: text(), Name: text()}}, Since: at}}
	r.Decisions = []*state.Decision{{Decision: text(), Rationale: text(), Information: text(), By: text(), At: at}}
	r.Timeline = []TimelineEntry{{OffsetSeconds: 60, At: at, Kind: text(), Step: text(), Event: text(), Actor: text()}}
	return r
}
