package runbooks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func (v *validator) checkSteps() {
	ids := map[string]int{}
	for i := range v.rb.Steps {
		s := &v.rb.Steps[i]
		if !s.decoded() {
			continue
		}
		path := fmt.Sprintf("steps[%d]", i)
		if s.ID != "" {
			if line, dup := ids[string(s.ID)]; dup {
				v.errorf(s.at("id"), path+".id", "step id %q is already used at line %d", s.ID, line)
			} else {
				ids[string(s.ID)] = s.at("id").Line
			}
		}
		if strings.Contains(s.Title, "{{") {
			v.ds.warnf(s.at("title"), path+".title", "step %q: a title is not a template, so its {{ … }} would be sent as written (it is the heading of a message without a subject); put the template in subject", s.ID)
		}
		v.checkTiming(s, path)
		v.checkAction(s, path)
	}
	v.checkAfter()
}

func (v *validator) checkTiming(s *Step, path string) {
	var set []string
	for _, f := range []string{"at", "every", "after"} {
		if s.has(f) {
			set = append(set, f)
		}
	}
	// Name them in the order they are written; the error goes on the second.
	slices.SortFunc(set, func(a, b string) int { return s.keyAt(a).Line - s.keyAt(b).Line })
	switch len(set) {
	case 0:
		v.errorf(s.Pos(), path, "step %q has no timing; set exactly one of at, every or after", s.ID)
	case 1:
	default:
		v.errorf(s.keyAt(set[1]), path+"."+set[1], "step %q: `%s` and `%s` are both set; use exactly one timing", s.ID, set[0], set[1])
	}
	only := func(field, timing, why string) {
		if s.has(field) && !s.has(timing) {
			v.errorf(s.keyAt(field), path+"."+field, "step %q: %s is only for %s", s.ID, field, why)
		}
	}
	only("start", "every", "recurring steps (every)")
	only("until", "every", "recurring steps (every)")
	only("delay", "after", "steps that wait for others (after)")
	if s.valid("after") && len(s.After) == 0 {
		v.errorf(s.at("after"), path+".after", "step %q: after needs at least one step id", s.ID)
	}
	if s.Every != nil && s.Until != nil {
		start := s.firstOffset()
		if s.Until.D < start {
			v.errorf(s.Until.Pos, path+".until", "step %q: until (%s) is before the first occurrence (%s), so the step never fires", s.ID, s.Until.Text, FormatDuration(start))
		}
	}
}

func (v *validator) checkAction(s *Step, path string) {
	switch {
	case s.has("notify") && s.has("task"):
		second := "task"
		if s.keyAt("task").Line < s.keyAt("notify").Line {
			second = "notify"
		}
		v.errorf(s.keyAt(second), path+"."+second, "step %q: `notify` and `task` are both set; use exactly one action", s.ID)
	case s.Notify != nil:
		v.checkNotify(s, s.Notify, path+".notify")
	case s.Task != nil:
		v.checkTask(s, s.Task, path+".task")
	case !s.has("notify") && !s.has("task"):
		v.errorf(s.Pos(), path, "step %q has no action; set notify (a message) or task (a human action)", s.ID)
	}
}

func (v *validator) checkNotify(s *Step, n *Notify, path string) {
	reach := v.checkRefs(n.To, messageTargets, path+".to")
	v.checkContacts(s, n.To, path+".to")
	emailVia := emailRoute(reach)
	if emailVia != "" && n.Subject.Text == "" && n.has("body") {
		v.errorf(s.keyAt("notify"), path, "step %q: the message reaches email (%s), which needs a subject; add subject", s.ID, emailVia)
	}
	v.tc.check(&n.Subject, path+".subject")
	v.tc.check(&n.Body, path+".body")
	for _, lang := range mapKeys(n.Translations) {
		t := n.Translations[lang]
		tp := path + ".translations." + lang
		checkLanguage(v.ds, Ref{lang, t.keyPos()}, tp)
		if emailVia != "" && t.Subject.Text == "" && n.Subject.Text != "" {
			v.ds.warnf(t.keyPos(), tp, "step %q: the %s translation has no subject, so its emails (%s) use the main subject; add subject", s.ID, lang, emailVia)
		}
		// People and lists in the directory may read it: their language
		// chooses the translation when the message goes.
		fromDirectory := len(reach.Lists) > 0 || slices.ContainsFunc(reach.Stakeholders, (*Stakeholder).InDirectory)
		if !fromDirectory && !slices.ContainsFunc(reach.Languages, func(l string) bool { return strings.EqualFold(l, lang) }) {
			v.ds.warnf(t.keyPos(), tp, "step %q: no audience this message reaches lists language %q, so this translation is never sent", s.ID, lang)
		}
		v.tc.check(&t.Subject, tp+".subject")
		v.tc.check(&t.Body, tp+".body")
		n.Translations[lang] = t // t is a copy: keep its compiled templates
	}
	if a := n.Approval; a != nil {
		ap := path + ".approval"
		approvers := v.checkRefs(a.Approvers, people, ap+".approvers")
		v.checkContacts(s, a.Approvers, ap+".approvers")
		switch {
		case a.valid("min") && a.Min < 1:
			v.errorf(a.at("min"), ap+".min", "step %q: min is %d; at least 1 approval is needed", s.ID, a.Min)
		case a.Min > len(approvers.Stakeholders) && len(approvers.Stakeholders) > 0:
			v.errorf(a.at("min"), ap+".min", "step %q: min is %d but only %d stakeholder(s) can approve, so the message could never be sent", s.ID, a.Min, len(approvers.Stakeholders))
		}
		v.checkDeadline(s, a.Within, "within", a.EscalateTo, a.Escalation, a.located, ap, a.Approvers)
	}
	v.checkDeadline(s, n.AckWithin, "ack_within", n.EscalateTo, n.Escalation, n.located, path, n.To)
}

func (v *validator) checkTask(s *Step, t *Task, path string) {
	if t.Assignee.Name != "" {
		v.ix.reach([]Ref{t.Assignee}, people, func(_ int, msg string) {
			v.errorf(t.Assignee.Pos, path+".assignee", "%s", msg)
		})
		v.checkContacts(s, []Ref{t.Assignee}, path+".assignee")
	}
	v.tc.check(&t.Instructions, path+".instructions")
	v.checkDeadline(s, t.AckWithin, "ack_within", t.EscalateTo, t.Escalation, t.located, path, []Ref{t.Assignee})
}

func (v *validator) checkPositive(s *Step, d *Duration, path string) {
	if d != nil && d.D <= 0 {
		v.errorf(d.Pos, path, "step %q: %s must be longer than 0s", s.ID, path[strings.LastIndexByte(path, '.')+1:])
	}
}

// checkContacts: a stakeholder a step must reach needs an email, a Slack id
// or a phone. The error sits on the reference that brings them in.
func (v *validator) checkContacts(s *Step, refs []Ref, path string) {
	reported := map[*Stakeholder]bool{}
	for i, r := range refs {
		at := path
		if !strings.HasSuffix(path, ".assignee") {
			at = fmt.Sprintf("%s[%d]", path, i)
		}
		for _, sh := range v.ix.reach([]Ref{r}, anyTarget, nil).Stakeholders {
			if sh.contactable() || reported[sh] {
				continue
			}
			reported[sh] = true
			v.errorf(r.Pos, at, "step %q must reach stakeholder %q, who has no email, slack or phone", s.ID, sh.ID)
			v.unreachable(sh, "step "+strconv.Quote(string(s.ID)))
		}
	}
}

// unreachable notes who must reach a stakeholder that has no contact, so
// that the stakeholder's own entry, where the fix goes, is reported too.
func (v *validator) unreachable(sh *Stakeholder, by string) {
	if v.uncontactable == nil {
		v.uncontactable = map[*Stakeholder][]string{}
	}
	if !slices.Contains(v.uncontactable[sh], by) {
		v.uncontactable[sh] = append(v.uncontactable[sh], by)
	}
}

func (v *validator) reportUncontactable() {
	for i := range v.rb.Stakeholders {
		sh := &v.rb.Stakeholders[i]
		if by := v.uncontactable[sh]; len(by) > 0 {
			v.errorf(sh.Pos(), fmt.Sprintf("stakeholders[%d]", i), "stakeholder %q has no email, slack or phone, but %s must reach them; add at least one", sh.ID, strings.Join(by, ", "))
		}
	}
}

// emailRoute names how a message would reach email, or "" if it does not.
func emailRoute(r Reach) string {
	for _, c := range r.Channels {
		if c.Type == ChannelEmail {
			return fmt.Sprintf("channel %q", c.ID)
		}
	}
	for _, s := range r.Stakeholders {
		if len(s.Email) > 0 {
			return fmt.Sprintf("stakeholder %q", s.ID)
		}
	}
	return ""
}

// checkAfter resolves after references and finds cycles, naming them as a
// path such as a -> b -> a.
func (v *validator) checkAfter() {
	steps := map[string]*Step{}
	index := map[string]int{}
	var ids []string
	for i := range v.rb.Steps {
		s := &v.rb.Steps[i]
		if _, dup := steps[string(s.ID)]; !dup && s.ID != "" {
			steps[string(s.ID)] = s
			index[string(s.ID)] = i
			ids = append(ids, string(s.ID))
		}
	}
	for i := range v.rb.Steps {
		s := &v.rb.Steps[i]
		for j, ref := range s.After {
			path := fmt.Sprintf("steps[%d].after[%d]", i, j)
			dep, ok := steps[ref.Name]
			switch {
			case ref.Name == "": // not a name: said where it was decoded
			case !ok:
				v.errorf(ref.Pos, path, "step %q waits for step %q, which is not defined%s", s.ID, ref.Name, suggest(ref.Name, ids))
			case dep == s:
				v.errorf(ref.Pos, path, "step %q cannot come after itself", s.ID)
			case dep.Recurring():
				v.errorf(ref.Pos, path, "step %q waits for step %q, which is recurring (every) and never completes; wait for a step that happens once", s.ID, ref.Name)
			}
		}
	}
	// Depth-first search; a step met again while still on the path closes a cycle.
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(id string)
	visit = func(id string) {
		state[id] = onPath
		path = append(path, id)
		s := steps[id]
		for j, ref := range s.After {
			if _, ok := steps[ref.Name]; !ok || ref.Name == id {
				continue
			}
			switch state[ref.Name] {
			case unseen:
				visit(ref.Name)
			case onPath:
				start := slices.Index(path, ref.Name)
				cycle := append(slices.Clone(path[start:]), ref.Name)
				v.errorf(ref.Pos, fmt.Sprintf("steps[%d].after[%d]", index[id], j), "steps wait for each other in a cycle: %s", strings.Join(cycle, " -> "))
			}
		}
		path = path[:len(path)-1]
		state[id] = done
	}
	for _, id := range ids {
		if state[id] == unseen {
			visit(id)
		}
	}
}

func (v *validator) checkExercise() {
	x := v.rb.Exercise
	if x == nil {
		return
	}
	if x.valid("prefix") && strings.TrimSpace(x.Prefix) == "" {
		v.errorf(x.at("prefix"), "exercise.prefix", "prefix is empty; drill messages must be marked (the default is %q)", DefaultExercisePrefix)
	}
	v.checkRefs(x.Redirect, channelOnly, "exercise.redirect")
	v.checkRefs(x.Participants, anyTarget, "exercise.participants")
	ids := map[string]int{}
	for _, s := range v.rb.Steps {
		ids[string(s.ID)] = s.at("id").Line
	}
	for i := range x.Injects {
		in := &x.Injects[i]
		path := fmt.Sprintf("exercise.injects[%d]", i)
		if line, dup := ids[string(in.ID)]; dup && in.ID != "" {
			v.errorf(in.at("id"), path+".id", "inject id %q is already used at line %d; injects and steps need different ids", in.ID, line)
		} else {
			ids[string(in.ID)] = in.at("id").Line
		}
		reach := v.checkRefs(in.To, anyTarget, path+".to")
		for _, sh := range reach.Stakeholders {
			if !sh.contactable() {
				v.errorf(in.at("to"), path+".to", "inject %q must reach stakeholder %q, who has no email, slack or phone", in.ID, sh.ID)
				v.unreachable(sh, "inject "+strconv.Quote(string(in.ID)))
			}
		}
		v.tc.check(&in.Body, path+".body")
	}
}
