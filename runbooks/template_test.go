package runbooks

import (
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"),
		`subject: "Incident at {{ .Params.venue }}"`,
		`subject: "{{ upper .Activation.Mode }}: {{ .Params.venue | default \"the venue\" }} ({{ lower .Step.Title }}) {{ date \"15:04 MST\" .Now }}"`, 1)
	rb, err := Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	step, _ := rb.Step("declare")
	data := TemplateData{
		Params:     map[string]string{"venue": ""},
		Activation: ActivationData{Mode: "exercise", StartedAt: time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)},
		Step:       StepData{ID: "declare", Title: "Declare"},
		Now:        time.Date(2026, 7, 1, 9, 5, 0, 0, time.UTC),
	}
	got, err := step.Notify.Subject.Render(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "EXERCISE: the venue (declare) 10:05 BST"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A value missing at render time is an error, never "<no value>".
	delete(data.Params, "venue")
	if out, err := step.Notify.Body.Render(data); err == nil || strings.Contains(out, "<no value>") {
		t.Errorf("rendering without venue = %q, %v; want an error", out, err)
	}
}

func TestTemplateLimits(t *testing.T) {
	for body, want := range map[string]string{
		`{{ range 1000000000 }}x{{ end }}`:             "range over a number is not supported",
		`{{ define "a" }}x{{ end }}{{ template "a" }}`: "{{define}} and {{block}} are not supported",
		`{{ .Params.venue.Name }}`:                     "", // a string has no fields: caught by the trial render
	} {
		src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), `body: "We are aware of an incident at {{ .Params.venue }}."`, "body: '"+body+"'", 1)
		_, err := Parse("m.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("body %s: got %v, want an error containing %q", body, err, want)
		}
	}
}
