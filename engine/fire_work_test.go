package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A runbook whose template would run nested ranges over its params for
// minutes is refused as it is activated, naming the template, before the
// engine renders anything: activation renders inside the write path.
func TestActivationRefusesTemplatesThatDoTooMuchWork(t *testing.T) {
	src := string(readRunbook(t, "minimal.good.yaml"))
	var params strings.Builder
	params.WriteString("params:\n  - name: venue\n    required: true\n")
	for i := range 20 {
		fmt.Fprintf(&params, "  - name: p%d\n", i)
	}
	src = strings.Replace(src, "params:\n  - name: venue\n    required: true\n", params.String(), 1)
	src = strings.Replace(src, `body: "We are aware of an incident at {{ .Params.venue }}."`,
		"body: '"+strings.Repeat("{{ range $.Params }}", 6)+"{{ $x := 1 }}"+strings.Repeat("{{ end }}", 6)+"'", 1)
	e, _ := newEngine(t, nil)
	_, err := e.Apply(context.Background(), &Activate{Source: []byte(src), SourceName: "m.yaml", Mode: "exercise", Params: map[string]string{"venue": "Hall"}})
	if err == nil || !strings.Contains(err.Error(), "steps[1].notify.body: the template does too much work") {
		t.Errorf("got %v, want the template refused", err)
	}
}
