package server

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The report, on its web page and from the API as HTML, is a formatted
// page: its steps are a table, not lines of pipes, its sections are h2
// headings under the page's one h1, and it offers its downloads. What
// people typed into a message or a decision is shown as they typed it,
// never run as markup.
func TestReportPage(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	typed := `<script>alert("typed")</script>`
	if code, m := f.call(token("Dev"), "PUT", "/api/v1/messages/"+id+"/statement/1", map[string]any{
		"subject": "Statement on Eastfield", "body": typed + "\nOfficers are on patrol <img src=x onerror=alert(1)>."}); code/100 != 2 {
		t.Fatalf("edit: %d %v", code, m)
	}
	if code, m := f.call(token("Priya"), "POST", "/api/v1/activations/"+id+"/decisions", map[string]any{
		"decision": "Hold the " + typed + " statement", "rationale": "<b>unconfirmed</b>",
		"information": "[a link](javascript:alert(1)) https://evil.example\n# Forged"}); code/100 != 2 {
		t.Fatalf("decision: %d %v", code, m)
	}
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Val")}})
	_, web, _ := b.do("GET", "/ui/activations/"+id+"/report", nil)
	_, api := f.call(token("Val"), "GET", "/api/v1/activations/"+id+"/report?format=html", nil)
	for name, page := range map[string]string{"web page": web, "API": api["raw"].(string)} {
		for _, want := range []string{
			`<h1>Report: Community tension after a local incident</h1>`,
			`>Summary</h2>`, `>Steps: planned and actual</h2>`, `>Decisions</h3>`,
			"<table>", "<th>planned</th>", "<td>statement</td>",
			`<p>&lt;script&gt;alert(&quot;typed&quot;)&lt;/script&gt;`, `patrol &lt;img src=x onerror=alert(1)&gt;.`,
			`<strong>Hold the &lt;script&gt;alert(&quot;typed&quot;)&lt;/script&gt; statement</strong>`, `&lt;b&gt;unconfirmed&lt;/b&gt;`,
			`Information: [a link](javascript:alert(1)) https://evil.example # Forged.`,
			`report?format=md" download>Download Markdown</a>`, `report?format=json" download>Download JSON</a>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the %s lacks %s", name, want)
			}
		}
		for _, unwanted := range []string{"<script>alert", "<img", "<b>", `href="javascript:`, `href="https://evil`, ">Forged</h", "| statement |", "|---|", "## ", `<pre class="report">`} {
			if strings.Contains(page, unwanted) {
				t.Errorf("the %s has %s", name, unwanted)
			}
		}
		if n := strings.Count(page, "<h1"); n != 1 {
			t.Errorf("the %s has %d h1 headings", name, n)
		}
		// Each table scrolls sideways in its own box, named by its section.
		if tables, boxes := strings.Count(page, "<table>"), len(scrollBox.FindAllString(page, -1)); tables < 4 || boxes != tables {
			t.Errorf("the %s has %d tables in %d scrolling boxes", name, tables, boxes)
		}
	}
}

var scrollBox = regexp.MustCompile(`<div class="scroll" role="region" tabindex="0" aria-labelledby="[a-z-]+">\n<table>`)

// A heading typed into a message body stays below the page's one h1.
func TestReportHTMLKeepsOneTitle(t *testing.T) {
	got, err := reportHTML("# Title\n\nText.\n\n## Section\n\n> # Typed\n")
	if err != nil || strings.Contains(string(got), "<h1") || strings.Contains(string(got), "Title") ||
		!strings.Contains(string(got), `<h2 id="section">Section</h2>`) || !strings.Contains(string(got), `<h2 id="typed">Typed</h2>`) {
		t.Errorf("%v\n%s", err, got)
	}
}

// Links, images and bare addresses in the report's Markdown, which only
// people's text could hold, are shown as text: the page makes nothing a
// reader could click or a browser could load.
func TestReportHTMLMakesNoLinks(t *testing.T) {
	got, err := reportHTML("# Title\n\n[click](https://evil.example) ![img](https://evil.example/x.png) " +
		"<https://evil.example> https://evil.example www.evil.example jo@evil.example\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, unwanted := range []string{"<a", "<img", "href", "src="} {
		if strings.Contains(string(got), unwanted) {
			t.Errorf("the page has %s:\n%s", unwanted, got)
		}
	}
	if want := "<p>click img https://evil.example https://evil.example www.evil.example jo@evil.example</p>"; !strings.Contains(string(got), want) {
		t.Errorf("the page lacks %s:\n%s", want, got)
	}
}

// The report page leads with the summary (the task's acknowledgement
// deadline, not yet due, who has not acknowledged, the decisions), then the
// timeline and the messages, where a rejected statement reads as
// rejected. A printed copy leaves out the site's header and the
// downloads.
func TestReportPageLeadsWithTheSummary(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	if code, m := f.call(token("Hana"), "POST", "/api/v1/messages/"+id+"/statement/1/reject", map[string]string{"reason": "wrong area"}); code/100 != 2 {
		t.Fatalf("reject: %d %v", code, m)
	}
	b := f.browser()
	b.do("POST", "/login", url.Values{"token": {token("Val")}})
	_, web, _ := b.do("GET", "/ui/activations/"+id+"/report", nil)
	at := -1
	for _, want := range []string{
		`<h1>Report: Community tension after a local incident</h1>`,
		`class="report report-summary"`, `>Summary</h2>`,
		`<strong>Live activation</strong> of runbook Community tension after a local incident`,
		`<strong>Event:</strong> Disorder after a stabbing.`,
		`>Targets</h3>`, `<td>Task Community walkabout</td>`, `<td>not yet due; still open</td>`, `<td>acknowledge within 30m</td>`, `<td>Community cohesion officer</td>`,
		`>Not yet acknowledged</h3>`, `>Failed to deliver</h3>`, `>Decisions</h3>`,
		`class="report report-detail"`, `>Timeline</h2>`,
		`<strong>Statement on the incident: message rejected</strong> — by Head of communications: wrong area`,
		`>Messages</h2>`, `Statement on the incident (rejected)</h3>`, `<strong>rejected</strong> by Head of communications: wrong area`,
		`>Steps: planned and actual</h2>`,
	} {
		i := strings.Index(web, want)
		if i < 0 {
			t.Errorf("the report page lacks %s", want)
			continue
		}
		if i < at {
			t.Errorf("the report page has %s too early", want)
		}
		at = i
	}
	if chart, summary, detail := strings.Index(web, `class="report-chart"><svg`), strings.Index(web, `report-summary`), strings.Index(web, `report-detail`); chart < summary || chart > detail {
		t.Errorf("the picture of planned against actual is not between the summary and the rest (at %d; %d, %d)", chart, summary, detail)
	}
	if t.Failed() {
		t.Log(web)
	}
	css, err := webFiles.ReadFile("web/style.css")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`@page\{size:A4`).Match(css) || !regexp.MustCompile(`@media print\{\s*header,nav,form,button,\.downloads\{display:none\}`).Match(css) {
		t.Errorf("the style sheet does not print the report on A4 without the header and downloads")
	}
}
