package engine

import (
	"fmt"
	"slices"

	"github.com/crierhq/crier/notifiers/sms"
	"github.com/crierhq/crier/runbooks"
)

// TextFit checks that every message a runbook sends as a text fits GOV.UK
// Notify's limit — step messages and their translations, task notices,
// injects: an error when its fixed words alone are too long (no values
// could make it fit), a warning when its values or the exercise marking
// may make it so. The length is counted on what is sent, subject and body,
// as Notify counts it. The diagnostics are located at the text in the
// runbook file.
func TextFit(rb *runbooks.Runbook) []runbooks.Diagnostic {
	var out []runbooks.Diagnostic
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if !reachesTextAs(rb, nil, string(s.ID), false) {
			continue
		}
		what := fmt.Sprintf("step %q sends a text", s.ID)
		if n := s.Notify; n != nil {
			path := fmt.Sprintf("steps[%d].notify", i)
			out = append(out, textFit(rb, what, n.Subject.Fixed(), n.Body, path+".body", false)...)
			for lang, tr := range n.Translations {
				subject := tr.Subject
				if subject.Text == "" {
					subject = n.Subject
				}
				out = append(out, textFit(rb, what+" ("+lang+")", subject.Fixed(), tr.Body, path+".translations."+lang+".body", false)...)
			}
		}
		if t := s.Task; t != nil {
			out = append(out, textFit(rb, fmt.Sprintf("task %q sends its instructions as a text", s.ID), "Task: "+s.Title,
				t.Instructions, fmt.Sprintf("steps[%d].task.instructions", i), false)...)
		}
	}
	if x := rb.Exercise; x != nil && len(x.Redirect) == 0 {
		for i, in := range x.Injects {
			if reachesText(rb, in.To) {
				out = append(out, textFit(rb, fmt.Sprintf("inject %q sends a text", in.ID), "Scenario inject: "+string(in.ID),
					in.Body, fmt.Sprintf("exercise.injects[%d].body", i), true)...)
			}
		}
	}
	runbooks.SortDiagnostics(out)
	return out
}

// textAllowance is what a template's values are taken to add at least when
// judging whether it may pass the limit: a place name, a time, a summary.
const textAllowance = 160

// textFit measures one text: its subject's fixed words and its body. An
// exercise-only text (an inject) is measured as marked.
func textFit(rb *runbooks.Runbook, what, subject string, body runbooks.Template, path string, exerciseOnly bool) []runbooks.Diagnostic {
	fixed, _ := sms.Length(sms.Text(subject, body.Fixed()))
	drilled, _ := sms.Length(sms.Text(rb.MarkExercise(subject, body.Fixed())))
	if exerciseOnly {
		fixed = drilled
	}
	d := runbooks.Diagnostic{File: rb.File(), Line: body.Pos.Line, Column: body.Pos.Column, Path: path}
	switch {
	case fixed > sms.MaxLength:
		d.Severity = runbooks.SeverityError
		d.Message = fmt.Sprintf("%s of %d characters (subject and body); GOV.UK Notify takes at most %d — shorten it, or send the long version by email",
			what, fixed, sms.MaxLength)
	case drilled > sms.MaxLength:
		d.Severity = runbooks.SeverityWarning
		d.Message = fmt.Sprintf("%s of %d characters; in an exercise the %q marking makes it %d, over GOV.UK Notify's %d, so drills of it will fail",
			what, fixed, rb.ExercisePrefix(), drilled, sms.MaxLength)
	case body.HasActions() && fixed+textAllowance > sms.MaxLength:
		d.Severity = runbooks.SeverityWarning
		d.Message = fmt.Sprintf("%s whose fixed words are %d characters; with its values filled in it may pass GOV.UK Notify's %d and fail when sent",
			what, fixed, sms.MaxLength)
	default:
		return nil
	}
	return []runbooks.Diagnostic{d}
}

// reachesTextAs reports whether a step's message, once approved, would go
// by text message (SMS) to anyone: through an sms channel or to a
// stakeholder's phone, in an exercise only where its redirect and
// participants let it. A comms officer reading a draft needs to know
// whether its length matters before approving it.
func reachesTextAs(rb *runbooks.Runbook, dir runbooks.Directory, step string, exercise bool) bool {
	s, ok := rb.Step(step)
	if !ok {
		return false
	}
	var to []runbooks.Ref
	switch {
	case s.Notify != nil:
		to = s.Notify.To
	case s.Task != nil:
		to = []runbooks.Ref{s.Task.Assignee}
	default:
		return false
	}
	var seal *exerciseBounds
	if exercise {
		seal = exerciseSeal(rb, dir)
	}
	send, _ := seal.route(endpoints(rb, &people{dir: dir, everyone: true}, to))
	return slices.ContainsFunc(send, isText)
}

// reachesText reports whether targets reach anyone by text.
func reachesText(rb *runbooks.Runbook, to []runbooks.Ref) bool {
	return slices.ContainsFunc(endpoints(rb, nil, to), isText)
}

func isText(ep endpoint) bool { return ep.kind == string(runbooks.ChannelSMS) }
