package main

import (
	"fmt"
	"strings"
	"testing"
)

// Nested ranges over .Params, which once kept crier validate busy for
// minutes (and deaf to Ctrl-C, checked only between files), are refused at
// the template before their work is done; the next file is then checked,
// or an interruption seen, at once.
func TestValidateRefusesTemplatesThatDoTooMuchWork(t *testing.T) {
	for _, depth := range []int{4, 6} {
		t.Run(fmt.Sprint(depth, " levels"), func(t *testing.T) {
			var params strings.Builder
			for i := range 20 {
				fmt.Fprintf(&params, "  - name: p%d\n", i)
			}
			body := strings.Repeat("{{ range $.Params }}", depth) + "{{ $x := 1 }}" + strings.Repeat("{{ end }}", depth)
			rb := writeFile(t, t.TempDir(), "nested.yaml", `version: 1
id: nested
title: Nested ranges
params:
`+params.String()+`stakeholders:
  - {id: officer, name: Officer, email: officer@northbridge.gov.uk}
channels:
  - {id: mail, type: email, to: [officer]}
steps:
  - id: loop
    title: Loop
    at: 0s
    notify:
      to: [mail]
      subject: Loop
      body: '`+body+`'
`)
			out, _, code := crier(t, "validate", rb)
			if want := "nested.yaml:36:13: error: steps[0].notify.body: the template does too much work: with 20 params"; code != exitError || !strings.Contains(out, want) || strings.Count(out, "error:") != 1 {
				t.Errorf("exit %d, got:\n%s\nwant %q", code, out, want)
			}
		})
	}
}
