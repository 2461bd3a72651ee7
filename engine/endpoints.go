package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// endpoint is one place a delivery goes.
type endpoint struct {
	kind        string // the notifier type: slack, teams, email, sms, webhook, log
	target      string // a Slack channel or user id, an address, a number, a URL (or its ${ENV} reference)
	channel     string // the runbook channel, or "" for a stakeholder's own contact
	stakeholder string
	person      string // the directory's person, for a stakeholder kept there
	list        string // a contact list's id: each of its rows, by this kind
	language    string // a translation's language, or "" for the message itself
	reads       string // the language the person reached reads, when the directory says
}

// people says how to reach a runbook's stakeholders: through the
// directory at an instant, a rota being whoever is on duty then, or, for
// an exercise's bounds, everyone who may be. A nil *people reaches only
// stakeholders with contacts of their own.
type people struct {
	dir      runbooks.Directory
	at       time.Time
	everyone bool
	// onDuty: each rota reached, and who was on duty ("Name (id)"), in
	// the order reached; unreached: who could not be reached, and why.
	onDuty    [][2]string
	unreached []string
}

func peopleAt(dir runbooks.Directory, at time.Time) *people { return &people{dir: dir, at: at} }

// contacts are how to reach a stakeholder.
func (p *people) contacts(s *runbooks.Stakeholder) []runbooks.Contact {
	switch {
	case !s.InDirectory():
		c, _ := runbooks.ContactOf(s, nil, time.Time{})
		return []runbooks.Contact{c}
	case p == nil:
		return nil
	case p.everyone:
		return runbooks.Members(s, p.dir)
	}
	c, err := runbooks.ContactOf(s, p.dir, p.at)
	if err != nil {
		p.unreached = append(p.unreached, fmt.Sprintf("%s: %v", s.NameIn(p.dir), err))
		return nil
	}
	if duty := [2]string{s.NameIn(p.dir), fmt.Sprintf("%s (%s)", c.Name, c.Person)}; s.Rota != "" && !slices.Contains(p.onDuty, duty) {
		p.onDuty = append(p.onDuty, duty)
	}
	return []runbooks.Contact{c}
}

// listKinds are how a list named directly is reached: by email and by
// text, as its columns allow. A list crier could not read is tried by
// email, so that its failure is on the record rather than silent.
func (p *people) listKinds(id string) []string {
	var info runbooks.ListInfo
	if p != nil && p.dir != nil {
		info, _ = p.dir.ListInfo(id)
	}
	var kinds []string
	if info.Email || !info.Loaded {
		kinds = append(kinds, string(runbooks.ChannelEmail))
	}
	if info.Phone {
		kinds = append(kinds, string(runbooks.ChannelSMS))
	}
	return kinds
}

// endpoints resolves targets to endpoints, each once: a channel is its
// destination (an email or sms channel, each of its recipients); a
// stakeholder named directly is reached by every contact they have.
func endpoints(rb *runbooks.Runbook, p *people, targets []runbooks.Ref) []endpoint {
	var out []endpoint
	seen := map[[2]string]bool{}
	add := func(ep endpoint) {
		if key := [2]string{ep.kind, ep.target}; !seen[key] {
			seen[key] = true
			out = append(out, ep)
		}
	}
	reach := rb.Reach(targets)
	for _, c := range reach.Channels {
		kind := string(c.Type)
		switch c.Type {
		case runbooks.ChannelSlack:
			add(endpoint{kind: kind, target: c.SlackChannel, channel: string(c.ID)})
		case runbooks.ChannelTeams, runbooks.ChannelWebhook:
			add(endpoint{kind: kind, target: c.URL, channel: string(c.ID)})
		case runbooks.ChannelLog:
			add(endpoint{kind: kind, target: string(c.ID), channel: string(c.ID)})
		case runbooks.ChannelEmail, runbooks.ChannelSMS:
			for _, to := range c.To {
				if id, ok := to.List(); ok {
					add(endpoint{kind: kind, target: to.Name, channel: string(c.ID), list: id})
					continue
				}
				if literal(c.Type, to.Name) {
					add(endpoint{kind: kind, target: to.Name, channel: string(c.ID)})
					continue
				}
				for _, s := range rb.Reach([]runbooks.Ref{to}).Stakeholders {
					for _, ct := range p.contacts(s) {
						for _, addr := range contactsFor(c.Type, ct) {
							add(endpoint{kind: kind, target: addr, channel: string(c.ID), stakeholder: string(s.ID), person: ct.Person, reads: ct.Language})
						}
					}
				}
			}
		}
	}
	for _, id := range reach.Lists {
		for _, kind := range p.listKinds(id) {
			add(endpoint{kind: kind, target: "list:" + id, list: id})
		}
	}
	for _, s := range reach.Stakeholders {
		for _, c := range p.contacts(s) {
			for _, e := range c.Email {
				add(endpoint{kind: "email", target: e, stakeholder: string(s.ID), person: c.Person, reads: c.Language})
			}
			if c.Slack != "" {
				add(endpoint{kind: "slack", target: c.Slack, stakeholder: string(s.ID), person: c.Person, reads: c.Language})
			}
			if c.Phone != "" {
				add(endpoint{kind: "sms", target: c.Phone, stakeholder: string(s.ID), person: c.Person, reads: c.Language})
			}
		}
	}
	return out
}

// literal reports whether an email or sms channel's recipient is written
// out (an address or number) rather than a stakeholder or role.
func literal(t runbooks.ChannelType, to string) bool {
	if t == runbooks.ChannelEmail {
		return strings.Contains(to, "@")
	}
	return strings.HasPrefix(to, "+")
}

func contactsFor(t runbooks.ChannelType, c runbooks.Contact) []string {
	if t == runbooks.ChannelSMS {
		if c.Phone == "" {
			return nil
		}
		return []string{c.Phone}
	}
	return c.Email
}

// translatedEndpoints are where a message goes in other languages: the
// endpoints of each audience it names, in each of the audience's languages
// the message has a translation for. Contact lists are left out: each row
// is sent the translation in its own language, when there is one.
func translatedEndpoints(rb *runbooks.Runbook, p *people, targets []runbooks.Ref, translations map[string]bool) []endpoint {
	var out []endpoint
	for _, t := range targets {
		for i := range rb.Audiences {
			a := &rb.Audiences[i]
			if string(a.ID) != t.Name {
				continue
			}
			for _, lang := range a.Languages {
				if !translations[lang.Name] {
					continue
				}
				for _, ep := range endpoints(rb, p, []runbooks.Ref{t}) {
					if ep.list != "" {
						continue // a list's rows each get their own language
					}
					ep.language = lang.Name
					out = append(out, ep)
				}
			}
		}
	}
	return out
}

// inTheirLanguage sends each person who reads a language the message is
// translated into (and the translation is sent) that translation, instead
// of the message itself, and each endpoint once in each language.
func inTheirLanguage(eps []endpoint, sent map[string]bool) []endpoint {
	out := eps[:0:0]
	seen := map[[3]string]bool{}
	for _, ep := range eps {
		if ep.language == "" && ep.reads != "" && sent[ep.reads] {
			ep.language = ep.reads
		}
		if key := [3]string{ep.kind, ep.target, ep.language}; !seen[key] {
			seen[key] = true
			out = append(out, ep)
		}
	}
	return out
}
