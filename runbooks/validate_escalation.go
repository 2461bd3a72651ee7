package runbooks

import (
	"fmt"
	"time"
)

// MinTextReminderGap is the shortest reminder gap that is not worth a
// warning when reminders can reach a phone: texts every few minutes cost
// money and wake people without helping them act.
const MinTextReminderGap = 5 * time.Minute

// checkPolicy checks an escalation policy's own fields: levels in time
// order, people who can be reached, a bounded number of reminders.
func (v *validator) checkPolicy(p *Escalation, path, owner string) {
	if p == nil || !p.decoded() {
		return
	}
	for i := range p.Levels {
		l := &p.Levels[i]
		lp := fmt.Sprintf("%s.levels[%d]", path, i)
		if !l.decoded() {
			continue
		}
		if l.After.D < 0 {
			v.errorf(l.After.Pos, lp+".after", "%s: a level cannot come before the deadline (after is %s)", owner, l.After.Text)
		}
		if i > 0 && l.After.D <= p.Levels[i-1].After.D && l.valid("after") {
			v.errorf(l.at("after"), lp+".after", "%s: level %d is told %s after the deadline, no later than level %d (%s); give each level a later after",
				owner, i+1, FormatDuration(l.After.D), i, FormatDuration(p.Levels[i-1].After.D))
		}
		v.checkRefs(l.To, people, lp+".to")
		for j, r := range l.To {
			for _, sh := range v.ix.reach([]Ref{r}, people, nil).Stakeholders {
				if !sh.contactable() {
					v.errorf(r.Pos, fmt.Sprintf("%s.to[%d]", lp, j), "%s must reach stakeholder %q, who has no email, slack or phone", owner, sh.ID)
					v.unreachable(sh, owner)
				}
			}
		}
	}
	if p.Reminders != nil && (*p.Reminders < 0 || *p.Reminders > MaxReminders) {
		v.errorf(p.at("reminders"), path+".reminders", "%s: reminders is %d; give 0 to %d (each level is told once, then at most this many reminders)", owner, *p.Reminders, MaxReminders)
	}
	if p.RemindAfter != nil && p.RemindAfter.D <= 0 {
		v.errorf(p.RemindAfter.Pos, path+".remind_after", "%s: remind_after must be longer than 0s", owner)
	}
}

// checkDeadline checks one deadline's escalation: escalate_to and a policy
// of its own are alternatives, either needs the deadline, and reminders
// to a phone should not come every few minutes. waiting are the people
// reminded when no level names anyone.
func (v *validator) checkDeadline(s *Step, deadline *Duration, deadlineKey string, to []Ref, own *Escalation, l located, path string, waiting []Ref) {
	owner := fmt.Sprintf("step %q", s.ID)
	v.checkPositive(s, deadline, path+"."+deadlineKey)
	v.checkRefs(to, people, path+".escalate_to")
	v.checkContacts(s, to, path+".escalate_to")
	v.checkPolicy(own, path+".escalation", owner)
	if len(to) > 0 && own != nil && len(own.Levels) > 0 {
		v.errorf(l.keyAt("escalation"), path+".escalation", "%s: escalate_to and escalation levels are both set; escalate_to is one level, so write it as the first of the levels", owner)
	}
	if deadline == nil {
		for _, key := range []string{"escalate_to", "escalation"} {
			if l.has(key) {
				v.ds.warnf(l.keyAt(key), path+"."+key, "%s: %s has no effect without %s", owner, key, deadlineKey)
			}
		}
		return
	}
	if deadline.D <= 0 {
		return
	}
	c := v.rb.chain(deadline.D, to, own)
	if c.Reminders == 0 || c.RemindAfter >= MinTextReminderGap {
		return
	}
	remind := c.Levels[len(c.Levels)-1].To
	if remind == nil {
		remind = waiting
	}
	for _, sh := range v.ix.reach(remind, anyTarget, nil).Stakeholders {
		if sh.Phone == "" {
			continue
		}
		at := deadline.Pos // where a runbook-wide gap applies, said at the deadline it shortens
		if own != nil && own.RemindAfter != nil {
			at = own.RemindAfter.Pos
		}
		v.ds.warnf(at, path, "%s: reminders every %s can text %q (%s); a gap under %s sends texts faster than anyone can act on them — set remind_after",
			owner, FormatDuration(c.RemindAfter), sh.ID, sh.Phone, FormatDuration(MinTextReminderGap))
		return
	}
}
