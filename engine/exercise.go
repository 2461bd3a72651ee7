package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// exerciseBounds are where an exercise may send. With a redirect,
// everything it sends — messages, task and reassignment notices, escalations, reminders,
// injects, approval requests — goes to the redirect channels instead of
// where it was addressed. With participants, a delivery to anyone who is
// neither a participant nor a redirect channel is withheld: recorded,
// never sent. Every send passes through them, in dispatch.
type exerciseBounds struct {
	redirect []endpoint
	allowed  map[[2]string]bool // by kind and target; nil when every endpoint may go
}

// sealOf is an activation's exerciseBounds, or nil when it sends where it is told:
// a live activation, or an exercise with neither redirect nor participants.
func sealOf(a *state.Activation, rb *runbooks.Runbook, dir runbooks.Directory) *exerciseBounds {
	if !a.Exercise() {
		return nil
	}
	return exerciseSeal(rb, dir)
}

// exerciseSeal: a rota taking part takes part whoever is on duty, so
// everyone on it may be reached.
func exerciseSeal(rb *runbooks.Runbook, dir runbooks.Directory) *exerciseBounds {
	x := rb.Exercise
	if x == nil || len(x.Redirect) == 0 && len(x.Participants) == 0 {
		return nil
	}
	everyone := &people{dir: dir, everyone: true}
	s := &exerciseBounds{redirect: endpoints(rb, everyone, x.Redirect)}
	if len(x.Participants) > 0 {
		s.allowed = map[[2]string]bool{}
		for _, ep := range endpoints(rb, everyone, slices.Concat(x.Participants, x.Redirect)) {
			s.allowed[[2]string{ep.kind, ep.target}] = true
		}
	}
	return s
}

// route turns where a message is addressed into where it may go, and
// what is withheld.
func (s *exerciseBounds) route(eps []endpoint) (send, withheld []endpoint) {
	if s == nil {
		return eps, nil
	}
	if len(s.redirect) > 0 && len(eps) > 0 {
		var langs []string // each language once, the message's own first
		for _, ep := range eps {
			if !slices.Contains(langs, ep.language) {
				langs = append(langs, ep.language)
			}
		}
		eps = nil
		for _, lang := range langs {
			for _, ep := range s.redirect {
				ep.language = lang
				eps = append(eps, ep)
			}
		}
	}
	for _, ep := range eps {
		if s.allows(ep.kind, ep.target) {
			send = append(send, ep)
		} else {
			withheld = append(withheld, ep)
		}
	}
	return send, withheld
}

func (s *exerciseBounds) allows(kind, target string) bool {
	return s == nil || s.allowed == nil || s.allowed[[2]string{kind, target}]
}

// approvalsTo is where an exercise posts its drafts for approval, given
// the approvals channel crier is configured with: the redirect's Slack
// channels, else the approvals channel if the exerciseBounds allows it.
func (s *exerciseBounds) approvalsTo(channel string) []string {
	if s == nil {
		return nonEmpty(channel)
	}
	if len(s.redirect) > 0 {
		var out []string
		for _, ep := range s.redirect {
			if ep.kind == string(runbooks.ChannelSlack) {
				out = append(out, ep.target)
			}
		}
		return out
	}
	if s.allows("slack", channel) {
		return nonEmpty(channel)
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// Endpoint is one real place crier can send to: an address, a number, a
// Slack user or channel, a URL (or the ${ENV} reference that holds it).
type Endpoint struct {
	Type   string `json:"type"`
	Target string `json:"target"`
	// Who is the stakeholder or channel it belongs to, as the runbook names it.
	Who string `json:"who,omitempty"`
	// Rows, for a contact list, is how many rows it has: each a person.
	Rows int `json:"rows,omitempty"`
}

// Reach is everywhere an activation can send, before it starts: what an
// exercise lead reads to know "this drill can text 4 phones".
type Reach struct {
	Exercise bool       `json:"exercise"`
	Sealed   bool       `json:"sealed"` // an exercise with redirect or participants
	Real     []Endpoint `json:"endpoints"`
}

// CanReach lists every real endpoint an activation of rb can send to —
// each channel, each stakeholder's contacts, the approvals channel when a
// step needs approval — through the exercise's exerciseBounds in an exercise. Log
// channels are not real endpoints and are left out.
func CanReach(rb *runbooks.Runbook, dir *directory.Directory, exercise bool, approvalsChannel string) Reach {
	var all []runbooks.Ref
	for i := range rb.Channels {
		all = append(all, runbooks.Ref{Name: string(rb.Channels[i].ID)})
	}
	for i := range rb.Stakeholders {
		all = append(all, runbooks.Ref{Name: string(rb.Stakeholders[i].ID)})
	}
	for i := range rb.Steps {
		if n := rb.Steps[i].Notify; n != nil {
			all = append(all, slices.DeleteFunc(slices.Clone(n.To), func(r runbooks.Ref) bool { _, list := r.List(); return !list })...)
		}
	}
	var s *exerciseBounds
	if exercise {
		s = exerciseSeal(rb, view(dir))
	}
	eps, _ := s.route(endpoints(rb, &people{dir: view(dir), everyone: true}, all))
	r := Reach{Exercise: exercise, Sealed: s != nil}
	seen := map[[2]string]bool{}
	add := func(typ, target, who string, rows int) {
		if typ == string(runbooks.ChannelLog) || seen[[2]string{typ, target}] {
			return
		}
		seen[[2]string{typ, target}] = true
		r.Real = append(r.Real, Endpoint{Type: typ, Target: target, Who: who, Rows: rows})
	}
	for _, ep := range eps {
		who := ep.stakeholder
		if ep.channel != "" {
			who = ep.channel
		}
		rows := 0
		if l, ok := view(dir).(*directory.Directory); ok && ep.list != "" {
			if info, ok := l.ListInfo(ep.list); ok && info.Loaded {
				rows = info.Rows
			}
		}
		add(ep.kind, ep.target, who, rows)
	}
	if needsApproval(rb) {
		for _, c := range s.approvalsTo(approvalsChannel) {
			add("slack", c, "approvals channel", 0)
		}
	}
	slices.SortStableFunc(r.Real, func(a, b Endpoint) int { return strings.Compare(a.Type, b.Type) })
	return r
}

func needsApproval(rb *runbooks.Runbook) bool {
	return slices.ContainsFunc(rb.Steps, func(s runbooks.Step) bool { return s.Notify != nil && s.Notify.Approval != nil })
}

// Lines says what the reach is, one line per channel type, for people:
// "sms: 4 phones: +447700900001 (duty-comms), …".
func (r Reach) Lines() []string {
	nouns := map[string][2]string{
		"email":   {"address", "addresses"},
		"sms":     {"phone", "phones"},
		"slack":   {"Slack user or channel", "Slack users and channels"},
		"teams":   {"Teams channel", "Teams channels"},
		"webhook": {"webhook", "webhooks"},
	}
	var out []string
	for i := 0; i < len(r.Real); {
		typ := r.Real[i].Type
		var items []string
		count := 0
		for ; i < len(r.Real) && r.Real[i].Type == typ; i++ {
			e := r.Real[i]
			item := e.Target
			if e.Who != "" && e.Who != item {
				item += " (" + e.Who + ")"
			}
			if e.Rows > 0 {
				item += fmt.Sprintf(" (%d rows)", e.Rows)
			}
			items = append(items, item)
			count += max(e.Rows, 1)
		}
		noun := nouns[typ]
		if noun[0] == "" {
			noun = [2]string{typ, typ}
		}
		n := noun[1]
		if count == 1 {
			n = noun[0]
		}
		out = append(out, fmt.Sprintf("%s: %d %s: %s", typ, count, n, strings.Join(items, ", ")))
	}
	if len(out) == 0 {
		out = []string{"nothing outside crier: every channel is a log"}
	}
	return out
}
