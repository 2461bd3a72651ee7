package engine

import (
	"strings"
	"testing"
)

// The Markdown report's timeline carries every tension entry, the rise to
// 4 with who was told, and the notice's sends, as the JSON does.
func TestTheReportTimelineCarriesARiseInTension(t *testing.T) {
	e, _ := newEngine(t, nil)
	id := ActivationID(apply(t, e, &Activate{Source: []byte(tense), SourceName: "t.yaml", Mode: "live"}))
	for _, level := range []int{2, 3, 4} {
		apply(t, e, &RecordTension{Meta: Meta{Actor: "Nadia Rahman"}, Activation: id, Area: "Eastgate", Community: "Muslim", Level: level, Trend: "rising"})
	}
	r, err := e.Report(id)
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	r.Markdown(&md)
	_, timeline, _ := strings.Cut(md.String(), "## Timeline")
	for _, want := range []string{"level 2", "level 3", "tension recorded — Eastgate (Muslim): level 4", "tension raised", "told Community Cohesion Manager"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, timeline)
		}
	}
	if !strings.Contains(timeline, "message dispatched — 2 deliveries: Community tension 4 in Eastgate (Muslim)") {
		t.Errorf("the timeline does not say the notice was sent:\n%s", timeline)
	}
}
