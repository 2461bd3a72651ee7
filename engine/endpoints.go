package engine

import (
	"strings"

	"github.com/crierhq/crier/runbooks"
)

// endpoint is one place a delivery goes.
type endpoint struct {
	kind        string // the notifier type: slack, teams, email, sms, webhook, log
	target      string // a Slack channel or user id, an address, a number, a URL (or its ${ENV} reference)
	channel     string // the runbook channel, or "" for a stakeholder's own contact
	stakeholder string
	language    string // a translation's language, or "" for the message itself
}

// endpoints resolves targets to endpoints, each once: a channel is its
// destination (an email or sms channel, each of its recipients); a
// stakeholder named directly is reached by every contact they have.
func endpoints(rb *runbooks.Runbook, targets []runbooks.Ref) []endpoint {
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
				if literal(c.Type, to.Name) {
					add(endpoint{kind: kind, target: to.Name, channel: string(c.ID)})
					continue
				}
				for _, s := range rb.Reach([]runbooks.Ref{to}).Stakeholders {
					for _, addr := range contactsFor(c.Type, s) {
						add(endpoint{kind: kind, target: addr, channel: string(c.ID), stakeholder: string(s.ID)})
					}
				}
			}
		}
	}
	for _, s := range reach.Stakeholders {
		for _, e := range s.Email {
			add(endpoint{kind: "email", target: e.Name, stakeholder: string(s.ID)})
		}
		if s.Slack != "" {
			add(endpoint{kind: "slack", target: s.Slack, stakeholder: string(s.ID)})
		}
		if s.Phone != "" {
			add(endpoint{kind: "sms", target: s.Phone, stakeholder: string(s.ID)})
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

func contactsFor(t runbooks.ChannelType, s *runbooks.Stakeholder) []string {
	if t == runbooks.ChannelSMS {
		if s.Phone == "" {
			return nil
		}
		return []string{s.Phone}
	}
	return runbooks.Names(s.Email)
}

// translatedEndpoints are where a message goes in other languages: the
// endpoints of each audience it names, in each of the audience's languages
// the message has a translation for.
func translatedEndpoints(rb *runbooks.Runbook, targets []runbooks.Ref, translations map[string]bool) []endpoint {
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
				for _, ep := range endpoints(rb, []runbooks.Ref{t}) {
					ep.language = lang.Name
					out = append(out, ep)
				}
			}
		}
	}
	return out
}
