package main

import (
	"fmt"
	"strings"
	"testing"
)

// A task's notice and an inject go by text to a stakeholder with a phone,
// like a message does; instructions or an inject whose fixed words alone
// are longer than GOV.UK Notify's 918 characters could never be sent by
// text, so crier validate says so, at the text, as it does for a message.
func TestValidateCatchesTooLongTaskAndInjectTexts(t *testing.T) {
	long := strings.Repeat("Phone every community leader on the list and record who you reached. ", 15) // 1,035 characters
	for _, tc := range []struct{ name, steps, exercise string }{
		{name: "task", steps: fmt.Sprintf(`
  - id: phone-round
    title: Phone round
    at: 0s
    task:
      assignee: officer
      instructions: %q
`, long)},
		{name: "inject", steps: `
  - id: note
    title: Note
    at: 0s
    notify: {to: [ctl], subject: Note, body: Short.}
`, exercise: fmt.Sprintf(`exercise:
  injects:
    - id: long-inject
      at: 1m
      to: [officer]
      body: %q
`, long)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rb := writeFile(t, t.TempDir(), "texts.yaml", `version: 1
id: texts
title: Texts to a phone
stakeholders:
  - id: officer
    name: Duty officer
    email: officer@northbridge.gov.uk
    phone: "+447700900777"
channels:
  - id: ctl
    type: slack
    slack_channel: "#exercise-control"
steps:`+tc.steps+tc.exercise)
			out, errOut, code := crier(t, "validate", rb)
			if code != exitError || !strings.Contains(out+errOut, "918") {
				t.Errorf("exit %d, want %d and an error about GOV.UK Notify's 918 characters:\n%s%s", code, exitError, out, errOut)
			}
		})
	}
}
