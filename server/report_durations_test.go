package server

import (
	"strings"
	"testing"
)

// The report's page writes its offsets for people, in the steps, tasks
// and timeline and in the lines about approvals and acknowledgements; the
// text around them, and a step named like a duration, are left alone.
func TestReportPageDurations(t *testing.T) {
	md := "# T\n\n## Steps\n\n| step | # | kind | planned | fired | complete | state |\n|---|---|---|---|---|---|---|\n" +
		"| 5m | 1 | notify | 5h15m44s | 0 | - | fired |\n\n" +
		"### statement (sent)\n\n- approval took 1h2m3s\n- acknowledged by cohesion after 2d3h4m\n- rejected by x: wait 5m\n\n" +
		"## Timeline\n\n| T+ | event |\n|---|---|\n| 90s | escalated after 15m |\n"
	got, err := reportHTML(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<td>5m</td>", "<td>5h 15m</td>", "<td>0s</td>", "<td>-</td>", "<li>approval took 1h 2m</li>",
		"<li>acknowledged by cohesion after 2d 3h</li>", "<li>rejected by x: wait 5m</li>", "<td>1m 30s</td>", "<td>escalated after 15m</td>"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the page lacks %s\n%s", want, got)
		}
	}
}
