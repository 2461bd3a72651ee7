package engine

import (
	"fmt"
	"slices"

	"github.com/crierhq/crier/notifiers/sms"
	"github.com/crierhq/crier/runbooks"
)

// TextFit checks that every message a runbook sends as a text fits GOV.UK
// Notify's limit: an error when its fixed text alone is too long (no
// values could make it fit), a warning when its templates may make it so.
// The length is counted on what is sent, subject and body, as Notify
// counts it, with the exercise marking a drill adds said separately. The
// diagnostics are located at the body in the runbook file.
func TextFit(rb *runbooks.Runbook) []runbooks.Diagnostic {
	var out []runbooks.Diagnostic
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if s.Notify == nil || !ReachesText(rb, string(s.ID), false) {
			continue
		}
		path := fmt.Sprintf("steps[%d].notify", i)
		out = append(out, textFit(rb, s, s.Notify.Subject, s.Notify.Body, path, "")...)
		for lang, tr := range s.Notify.Translations {
			subject := tr.Subject
			if subject.Text == "" {
				subject = s.Notify.Subject
			}
			out = append(out, textFit(rb, s, subject, tr.Body, path+".translations."+lang, " ("+lang+")")...)
		}
	}
	runbooks.SortDiagnostics(out)
	return out
}

// textAllowance is what a template's values are taken to add at least when
// judging whether it may pass the limit: a place name, a time, a summary.
const textAllowance = 160

func textFit(rb *runbooks.Runbook, s *runbooks.Step, subject, body runbooks.Template, path, lang string) []runbooks.Diagnostic {
	fixed, _ := sms.Length(sms.Text(subject.Fixed(), body.Fixed()))
	p := rb.ExercisePrefix()
	drilled, _ := sms.Length(sms.Text(p+" "+subject.Fixed(), p+"\n\n"+body.Fixed()+"\n\n"+p))
	d := runbooks.Diagnostic{File: rb.File(), Line: body.Pos.Line, Column: body.Pos.Column, Path: path + ".body"}
	templated := subject.HasActions() || body.HasActions()
	switch {
	case fixed > sms.MaxLength:
		d.Severity = runbooks.SeverityError
		d.Message = fmt.Sprintf("step %q sends a text%s of %d characters (subject and body); GOV.UK Notify takes at most %d — shorten it, or send the long version by email",
			s.ID, lang, fixed, sms.MaxLength)
	case drilled > sms.MaxLength:
		d.Severity = runbooks.SeverityWarning
		d.Message = fmt.Sprintf("step %q sends a text%s of %d characters; in an exercise the %q marking makes it %d, over GOV.UK Notify's %d, so drills of it will fail",
			s.ID, lang, fixed, p, drilled, sms.MaxLength)
	case templated && fixed+textAllowance > sms.MaxLength:
		d.Severity = runbooks.SeverityWarning
		d.Message = fmt.Sprintf("step %q sends a text%s whose fixed words are %d characters; with its values filled in it may pass GOV.UK Notify's %d and fail when sent",
			s.ID, lang, fixed, sms.MaxLength)
	default:
		return nil
	}
	return []runbooks.Diagnostic{d}
}

// ReachesText reports whether a step's message, once approved, would go
// by text message (SMS) to anyone: through an sms channel or to a
// stakeholder's phone, in an exercise only where its redirect and
// participants let it. A comms officer reading a draft needs to know
// whether its length matters before approving it.
func ReachesText(rb *runbooks.Runbook, step string, exercise bool) bool {
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
		seal = exerciseSeal(rb)
	}
	send, _ := seal.route(endpoints(rb, to))
	return slices.ContainsFunc(send, func(ep endpoint) bool { return ep.kind == string(runbooks.ChannelSMS) })
}
