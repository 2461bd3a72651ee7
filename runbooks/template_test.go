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
	data := TemplateValues{
		Params:     map[string]string{"venue": ""},
		Activation: ActivationInfo{Mode: "exercise", StartedAt: time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)},
		Step:       StepInfo{ID: "declare", Title: "Declare"},
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

func TestRangeOverParams(t *testing.T) {
	src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), `body: "We are aware of an incident at {{ .Params.venue }}."`,
		`body: '{{ range $name, $value := .Params }}{{ $name }}={{ $value }} {{ end }}'`, 1)
	rb, err := Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	step, _ := rb.Step("holding")
	got, err := step.Notify.Body.Render(TemplateValues{Params: map[string]string{"venue": "Victoria Hall"}})
	if err != nil || got != "venue=Victoria Hall " {
		t.Errorf("got %q, %v", got, err)
	}
}

// TestTemplateLimits: a runbook cannot make the engine loop or build text
// without bound, at load or at render.
func TestTemplateLimits(t *testing.T) {
	for body, want := range map[string]string{
		`{{ define "a" }}x{{ end }}{{ template "a" }}`:                                               "{{define}} and {{block}} are not supported",
		`{{ .Params.venue.Name }}`:                                                                   "", // a string has no fields: caught by the trial render
		`{{ range 1000000000 }}x{{ end }}`:                                                           "range is only supported over .Params",
		`{{ $n := 100000 }}{{ range $n }}{{ range $n }}{{ end }}{{ end }}`:                           "range is only supported over .Params",
		`{{ $s := "xxxxxxxx" }}` + strings.Repeat(`{{ $s = printf "%s%s" $s $s }}`, 40) + `{{ $s }}`: "more than 1 MiB of text",
		`{{ $s := "xxxxxxxx" }}` + strings.Repeat(`{{ $s = join "" $s $s }}`, 40):                    "more than 1 MiB of text",
	} {
		src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), `body: "We are aware of an incident at {{ .Params.venue }}."`, "body: '"+body+"'", 1)
		_, err := Parse("m.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("body %s: got %v, want an error containing %q", body, err, want)
		}
	}
}

// A translation's templates render its params like the message's own.
func TestTranslationsRender(t *testing.T) {
	src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), `      body: "We are aware of an incident at {{ .Params.venue }}."`,
		`      body: "We are aware of an incident at {{ .Params.venue }}."
      translations:
        cy:
          subject: "Digwyddiad yn {{ .Params.venue }}"
          body: "Rydym yn ymwybodol o ddigwyddiad yn {{ .Params.venue }}."`, 1)
	if !strings.Contains(src, "cy:") {
		t.Fatal("the runbook was not changed")
	}
	rb, err := Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	step, _ := rb.Step("holding")
	tr := step.Notify.Translations["cy"]
	data := TemplateValues{Params: map[string]string{"venue": "Neuadd Victoria"}}
	subject, err1 := tr.Subject.Render(data)
	body, err2 := tr.Body.Render(data)
	if subject != "Digwyddiad yn Neuadd Victoria" || body != "Rydym yn ymwybodol o ddigwyddiad yn Neuadd Victoria." || err1 != nil || err2 != nil {
		t.Errorf("got %q, %q (%v, %v)", subject, body, err1, err2)
	}
}

// Fixed is the text every rendering holds; HasActions says whether there
// is more.
func TestFixed(t *testing.T) {
	for _, tc := range []struct {
		text    string
		fixed   string
		actions bool
	}{
		{"Flood warning for the River Wend.", "Flood warning for the River Wend.", false},
		{"Flood warning for {{ .Params.area }}. Sandbags at {{ .Params.depot }}.", "Flood warning for . Sandbags at .", true},
		{"{{ .Params.venue }}", "", true},
		{"Residents{{ if .Params.area }} of {{ .Params.area }}{{ else }} nearby{{ end }}: stay away.", "Residents: stay away.", true},
		{"{{ with .Params.area }}In {{ . }}: {{ end }}stay away.", "stay away.", true},
		{"{{ range $k, $v := .Params }}{{ $k }}={{ $v }} {{ end }}done", "done", true},
		{"Hello   {{- .Params.name -}}   there", "Hellothere", true},
		{"Hello {{/* a note for the planners */}}there", "Hello there", false},
		{"Hello {{ upper .Params.name }}", "Hello ", true},
		{"Unclosed {{ .Params.name ", "", true},
	} {
		tmpl := Template{Text: tc.text}
		if got := tmpl.Fixed(); got != tc.fixed {
			t.Errorf("%q: Fixed() = %q, want %q", tc.text, got, tc.fixed)
		}
		if got := tmpl.HasActions(); got != tc.actions {
			t.Errorf("%q: HasActions() = %v, want %v", tc.text, got, tc.actions)
		}
	}
}

// A template loaded with its runbook gives its fixed text too, and its
// rendering holds it.
func TestFixedLoaded(t *testing.T) {
	rb, err := Parse("m.yaml", []byte(readFile(t, "testdata/minimal.good.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	step, _ := rb.Step("holding")
	body := step.Notify.Body
	if got, want := body.Fixed(), "We are aware of an incident at ."; got != want || !body.HasActions() {
		t.Errorf("Fixed() = %q, HasActions() = %v; want %q, true", got, body.HasActions(), want)
	}
	out, err := body.Render(TemplateValues{Params: map[string]string{"venue": "Victoria Hall"}})
	if err != nil || !strings.HasPrefix(out, strings.TrimSuffix(body.Fixed(), ".")) {
		t.Errorf("rendered %q (%v), shorter than %q", out, err, body.Fixed())
	}
}
