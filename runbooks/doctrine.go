package runbooks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The doctrine checks hold a runbook to what the LGA's guidance on trigger
// events ("Managing challenges or trigger events", with the Manchester
// Arena case study) and the inquiries since ask of a council. Each is a
// warning with a stable code; a runbook may waive one with a reason.
const (
	DoctrineKinds              = "doctrine/kinds"
	DoctrinePublicFirstHour    = "doctrine/public-first-hour"
	DoctrinePartnerDeclaration = "doctrine/partner-declaration"
	DoctrineStaff              = "doctrine/staff"
	DoctrineRecovery           = "doctrine/recovery"
)

// DoctrineCodes are the doctrine checks' codes, the ones waive may name.
func DoctrineCodes() []string {
	return []string{DoctrineKinds, DoctrinePublicFirstHour, DoctrinePartnerDeclaration, DoctrineStaff, DoctrineRecovery}
}

// doctrineFirstHour is how soon the public must hear from the council.
const doctrineFirstHour = time.Hour

// doctrineReason is each check's one-line reason, citing the guidance.
func doctrineReason(code string) string {
	switch code {
	case DoctrineKinds:
		return "no audience says its kind (public, staff, partners, members, community), so the doctrine checks " +
			"cannot tell who is told; give each audience a kind, or waive " + DoctrineKinds + " with the reason"
	case DoctrinePublicFirstHour:
		return "nothing reaches a public audience within 60 minutes of activation; the LGA's guidance " +
			"on trigger events asks councils to show visible leadership fast, as a vacuum \"can and will be filled by others\" " +
			"(Managing challenges or trigger events)"
	case DoctrinePartnerDeclaration:
		return "no message at T+0 to a partners audience asks for acknowledgement (ack_within); " +
			"the Manchester Arena Inquiry found partners not told and not confirmed, and the LGA's guidance asks for plans " +
			"for how partners work together after an incident (Managing challenges or trigger events)"
	case DoctrineStaff:
		return "no staff audience is ever told; the LGA's guidance asks councils to make their stance clear to " +
			"\"residents and staff alike\" and points to its guidance on internal communications during emergencies"
	case DoctrineRecovery:
		return "no recovery-phase step (phase recovery, a listening session or a community recovery group); " +
			"Manchester held an open listening session three days after the Arena attack and a Community Recovery Group " +
			"led the longer term (Managing challenges or trigger events)"
	}
	return ""
}

// Doctrine checks the runbook against the guidance and returns a warning,
// with its code, for each check it misses and has not waived. A runbook
// whose audiences say no kind gets the one warning doctrine/kinds instead
// of four that could not tell who is told.
func Doctrine(rb *Runbook) []Diagnostic {
	d := doctrine{rb: rb, waived: map[string]bool{}}
	for _, w := range rb.Waive {
		d.waived[w.Code] = true
	}
	if !slices.ContainsFunc(rb.Audiences, func(a Audience) bool { return a.Kind != "" }) {
		d.warn(DoctrineKinds, rb.keyAt("audiences"), "audiences")
		return d.out
	}
	if !d.publicInFirstHour() {
		d.warn(DoctrinePublicFirstHour, rb.keyAt("steps"), "steps")
	}
	if !d.partnersDeclaredAtStart() {
		pos, path := d.audienceOf(AudiencePartners)
		d.warn(DoctrinePartnerDeclaration, pos, path)
	}
	if !d.told(AudienceStaff) {
		pos, path := d.audienceOf(AudienceStaff)
		d.warn(DoctrineStaff, pos, path)
	}
	if !slices.ContainsFunc(rb.Steps, func(s Step) bool { return isRecoveryStep(&s) }) {
		d.warn(DoctrineRecovery, rb.keyAt("steps"), "steps")
	}
	return d.out
}

// Waived returns the reason the runbook gives for waiving a doctrine
// check, and whether it does.
func (rb *Runbook) Waived(code string) (string, bool) {
	for _, w := range rb.Waive {
		if w.Code == code {
			return w.Reason, true
		}
	}
	return "", false
}

type doctrine struct {
	rb     *Runbook
	waived map[string]bool
	out    []Diagnostic
}

func (d *doctrine) warn(code string, p Pos, path string) {
	if d.waived[code] {
		return
	}
	d.out = append(d.out, Diagnostic{File: d.rb.file, Line: p.Line, Column: p.Column, Severity: SeverityWarning,
		Path: path, Code: code, Message: code + ": " + doctrineReason(code)})
}

// audienceOf is where to point for a check about a kind of audience: the
// first audience of that kind, else the audiences.
func (d *doctrine) audienceOf(kind AudienceKind) (Pos, string) {
	for i, a := range d.rb.Audiences {
		if a.Kind == kind {
			return a.Pos(), fmt.Sprintf("audiences[%d]", i)
		}
	}
	return d.rb.keyAt("audiences"), "audiences"
}

// reaches reports whether a step's message names an audience of the kind.
func (d *doctrine) reaches(s *Step, kind AudienceKind) bool {
	if s.Notify == nil {
		return false
	}
	for _, ref := range s.Notify.To {
		for _, a := range d.rb.Audiences {
			if string(a.ID) == ref.Name && a.Kind == kind {
				return true
			}
		}
	}
	return false
}

// told reports whether any message ever names an audience of the kind.
func (d *doctrine) told(kind AudienceKind) bool {
	return slices.ContainsFunc(d.rb.Steps, func(s Step) bool { return d.reaches(&s, kind) })
}

// publicInFirstHour reports whether the plan of a live activation sends to
// a public audience within the first hour, counting steps that wait for
// others as firing when those complete. A recurring step on a cron spec
// counts only when it fires within the hour whenever in the week the
// activation starts.
func (d *doctrine) publicInFirstHour() bool {
	if slices.ContainsFunc(d.firstHour(), func(o Occurrence) bool {
		s, ok := d.rb.Step(o.Step)
		return ok && (s.Every == nil || s.Every.interval > 0) && d.reaches(s, AudiencePublic)
	}) {
		return true
	}
	return slices.ContainsFunc(d.rb.Steps, func(s Step) bool {
		return s.Every != nil && s.Every.interval == 0 && d.reaches(&s, AudiencePublic) && d.alwaysInFirstHour(&s)
	})
}

// alwaysInFirstHour reports whether a recurring step fires within an hour
// of an activation started at any quarter hour (and a minute past) of a
// week.
func (d *doctrine) alwaysInFirstHour(s *Step) bool {
	monday := time.Date(2026, time.January, 5, 0, 1, 0, 0, d.rb.location)
	for start := monday; start.Before(monday.AddDate(0, 0, 7)); start = start.Add(15 * time.Minute) {
		t, ok := d.rb.NextOccurrence(s, start, start.Add(-time.Nanosecond))
		if !ok || t.Sub(start) > doctrineFirstHour {
			return false
		}
	}
	return true
}

// partnersDeclaredAtStart reports whether a message fires at T+0 to a
// partners audience and asks for acknowledgement.
func (d *doctrine) partnersDeclaredAtStart() bool {
	return slices.ContainsFunc(d.firstHour(), func(o Occurrence) bool {
		s, ok := d.rb.Step(o.Step)
		return ok && o.Offset == 0 && d.reaches(s, AudiencePartners) && s.Notify.AckWithin != nil
	})
}

// firstHour is the plan of a live activation's first hour. When it starts
// matters only to steps on cron specs, which the checks do not count.
func (d *doctrine) firstHour() []Occurrence {
	start := time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)
	plan, err := Plan(d.rb, start, doctrineFirstHour, PlanOptions{})
	if err != nil {
		return nil // an hour of any valid runbook is well within the plan's bound
	}
	return plan
}

// isRecoveryStep reports whether a step belongs to recovery: its phase
// names recovery, or its title a listening session or a community
// recovery group.
func isRecoveryStep(s *Step) bool {
	title := strings.ToLower(s.Title)
	return strings.Contains(strings.ToLower(string(s.Phase)), "recovery") ||
		strings.Contains(title, "listening session") ||
		strings.Contains(title, "community recovery group")
}

// checkWaivers reports a doctrine check waived twice; decoding has
// checked each code is known and each reason given.
func (v *validator) checkWaivers() {
	seen := map[string]bool{}
	for i, w := range v.rb.Waive {
		if !w.decoded() || w.Code == "" {
			continue
		}
		if seen[w.Code] {
			v.errorf(w.at("code"), fmt.Sprintf("waive[%d].code", i), "%s is waived twice; waive each check once, with one reason", w.Code)
		}
		seen[w.Code] = true
	}
}
