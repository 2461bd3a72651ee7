package runbooks

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// nestedRanges is a template of depth ranges over .Params, one inside the
// other, that writes nothing: the output cap never stops it.
func nestedRanges(depth int) string {
	return strings.Repeat("{{ range $.Params }}", depth) + "{{ $x := 1 }}" + strings.Repeat("{{ end }}", depth)
}

// withParams is the minimal runbook with n params and body as its holding
// statement.
func withParams(t *testing.T, n int, body string) string {
	t.Helper()
	var params strings.Builder
	params.WriteString("params:\n  - name: venue\n    required: true\n")
	for i := range n - 1 {
		fmt.Fprintf(&params, "  - name: p%d\n", i)
	}
	src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), "params:\n  - name: venue\n    required: true\n", params.String(), 1)
	return strings.Replace(src, `body: "We are aware of an incident at {{ .Params.venue }}."`, "body: '"+body+"'", 1)
}

// Nested ranges over .Params are refused when loading, with an error at
// the template naming where it is, before any of their work is done.
func TestTemplateWorkAtLoad(t *testing.T) {
	for _, tc := range []struct {
		depth, params int
		ok            bool
	}{
		{1, 20, true},
		{2, 20, true},
		{4, 20, false},
		{6, 20, false},
		{6, 2, true}, // 64 iterations are harmless
		{40, 20, false},
	} {
		_, err := Parse("m.yaml", []byte(withParams(t, tc.params, nestedRanges(tc.depth))))
		if tc.ok {
			if err != nil {
				t.Errorf("%d levels, %d params: %v", tc.depth, tc.params, err)
			}
			continue
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 {
			t.Fatalf("%d levels, %d params: got %v, want one error", tc.depth, tc.params, err)
		}
		d := list[0]
		if d.Path != "steps[1].notify.body" || !strings.Contains(d.Message, "the template does too much work") {
			t.Errorf("%d levels, %d params: got %s: %s", tc.depth, tc.params, d.Path, d.Message)
		}
	}
}

// A template checked with few params stays bounded when rendered with many.
func TestTemplateWorkAtRender(t *testing.T) {
	rb, err := Parse("m.yaml", []byte(withParams(t, 2, nestedRanges(4))))
	if err != nil {
		t.Fatal(err)
	}
	step, _ := rb.Step("holding")
	params := map[string]string{}
	for i := range 100 {
		params[fmt.Sprint("p", i)] = "x"
	}
	if _, err := step.Notify.Body.Render(TemplateValues{Params: params}); err == nil || !strings.Contains(err.Error(), "too much work") {
		t.Errorf("rendering with 100 params: got %v, want too much work", err)
	}
	if _, err := step.Notify.Body.Render(TemplateValues{Params: map[string]string{"venue": "Hall", "p0": "x"}}); err != nil {
		t.Errorf("rendering with 2 params: %v", err)
	}
}

// The count is an upper bound that grows with each range's iterations.
func TestWork(t *testing.T) {
	for _, tc := range []struct {
		text       string
		p, atLeast int
	}{
		{"plain text", 10, 1},
		{"{{ range .Params }}{{ . }}{{ end }}", 10, 10},
		{"{{ range .Params }}{{ range $.Params }}x{{ end }}{{ end }}", 10, 100},
		{nestedRanges(6), 20, saturated},
	} {
		root, ok := Template{Text: tc.text}.root()
		if !ok {
			t.Fatalf("%q does not parse", tc.text)
		}
		if got := work(root, tc.p); got < tc.atLeast || got > saturated {
			t.Errorf("work(%q, %d) = %d, want at least %d", tc.text, tc.p, got, tc.atLeast)
		}
	}
}

// Many templates each within the bound are bounded together, so that
// loading a runbook, as validate and activate do, stays quick.
func TestTemplateWorkPerRunbook(t *testing.T) {
	// 20 params, 3 levels: 8,000 iterations of a few steps, within one
	// template's bound; 30 of them are not within a runbook's.
	body := nestedRanges(3)
	src := withParams(t, 20, body)
	var steps strings.Builder
	for i := range 30 {
		fmt.Fprintf(&steps, "  - id: heavy%d\n    title: Heavy\n    at: 0s\n    notify:\n      to: [partners]\n      body: '%s'\n", i, body)
	}
	src = strings.Replace(src, "steps:\n", "steps:\n"+steps.String(), 1)
	_, err := Parse("m.yaml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want errors", err)
	}
	found := false
	for _, d := range list {
		if strings.Contains(d.Message, "the template does too much work: with this one the runbook's templates") {
			found = true
		}
		if strings.Contains(d.Message, "ranges over .Params could run") {
			t.Errorf("one template over its own bound: %s: %s", d.Path, d.Message)
		}
	}
	if !found {
		t.Errorf("got %v, want the runbook's templates to do too much work", list)
	}
}
