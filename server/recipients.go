package server

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/runbooks"
)

// recipients is who a message goes to, as the message page says it
// before anything else: channels by name and type, people by name, the
// counts, and in an exercise where it really goes.
type recipients struct {
	Channels []string // "public (Slack #public)"
	People   []string // names, or the address or number a channel writes out
	Counts   string   // "2 Slack channels, 14 people by email, 3 by text"
	Short    string   // "3 channels and 17 people", for the Approve button
	// Languages says where each translation goes: "Welsh (cy): 1 channel".
	Languages []string
	Nowhere   bool // it reaches no one (every delivery withheld, or no targets)
	// In an exercise, where it really goes, when that is not where it is
	// addressed: Only (redirected) and Withheld (people not taking part).
	Exercise bool
	Only     []string
	Withheld int
	Sent     bool // counted from its deliveries, not from its step
}

// recipientsOf says who a message goes to: once it has deliveries, from
// them; before, from its step's targets as the engine would send it now.
func (s *Server) recipientsOf(m *state.Message, ds []*state.Delivery) *recipients {
	tx := s.engine.Read()
	a, _ := tx.Activation(nil, m.ActivationID)
	rb, err := s.engine.Runbook(m.ActivationID)
	if a == nil || err != nil {
		return nil
	}
	var dir runbooks.Directory
	if d := s.engine.Directory(); d != nil {
		dir = d
	}
	live := *a
	live.Mode = "live" // where it is addressed, without an exercise's bounds
	addressed := s.engine.Recipients(rb, &live, m)
	goes := s.engine.Recipients(rb, a, m)
	sent := false
	if len(ds) > 0 {
		sent, goes = true, nil
		for _, d := range ds {
			if d.Revision == m.Current().N {
				goes = append(goes, engine.Recipient{Type: d.Type, Target: d.Target, Channel: d.Channel, Stakeholder: d.Stakeholder, Person: d.Person,
					Language: d.Language, Withheld: d.State == state.DeliveryWithheld})
			}
		}
	}
	r := &recipients{Exercise: a.Exercise(), Sent: sent}
	shown := addressed
	if !a.Exercise() || len(addressed) == 0 {
		shown = goes
	}
	r.Channels, r.People, r.Counts, r.Short = describe(rb, dir, shown)
	r.Languages = languages(rb, dir, shown)
	if a.Exercise() {
		var kept []engine.Recipient
		for _, x := range goes {
			if x.Withheld {
				r.Withheld++
			} else {
				kept = append(kept, x)
			}
		}
		if !sameEndpoints(kept, shown) {
			channels, people, _, short := describe(rb, dir, kept)
			r.Only, r.Short = slices.Concat(channels, people), short
		}
		r.Nowhere = len(kept) == 0
	} else {
		r.Nowhere = len(shown) == 0
	}
	return r
}

// sameEndpoints reports whether two lists reach the same places.
func sameEndpoints(a, b []engine.Recipient) bool {
	key := func(xs []engine.Recipient) []string {
		var out []string
		for _, x := range xs {
			if !x.Withheld {
				out = append(out, x.Type+" "+x.Target+" "+x.Language)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(key(a), key(b))
}

// typeWords are a notifier type in words: a channel of it, and how a
// person is reached by it.
var typeWords = map[string][3]string{ // name, channel plural, "by …"
	"slack":   {"Slack", "Slack channels", "on Slack"},
	"teams":   {"Teams", "Teams channels", "on Teams"},
	"webhook": {"webhook", "webhooks", "by webhook"},
	"log":     {"crier's log", "logs", "in crier's log"},
	"email":   {"email", "email lists", "by email"},
	"sms":     {"text", "text lists", "by text"},
}

// describe names the channels and people of the message itself (not its
// translations) and counts them by type: a contact list by its name and
// size, a rota by whoever is on duty.
func describe(rb *runbooks.Runbook, dir runbooks.Directory, xs []engine.Recipient) (channels, people []string, counts, short string) {
	channelsOf, peopleOf := map[string][]string{}, map[string][]string{}
	more := map[string]int{} // by type: the rows of lists beyond the one each is counted as
	var everyone []string
	for _, x := range xs {
		if x.Withheld || x.Language != "" {
			continue
		}
		switch {
		case x.Channel != "" && x.Type != "email" && x.Type != "sms":
			name := x.Channel + " (" + typeWords[x.Type][0]
			if x.Type == "slack" && x.Target != x.Channel {
				name += " " + x.Target
			}
			name += ")"
			if !slices.Contains(channels, name) {
				channels = append(channels, name)
				channelsOf[x.Type] = append(channelsOf[x.Type], name)
			}
		default:
			who := x.Target
			if id, ok := strings.CutPrefix(x.Target, "list:"); ok {
				who = id
				if l, ok := listInfo(dir, id); ok {
					who = fmt.Sprintf("%s (%s)", l.Name, plural(l.Rows, "person", "people"))
					if !slices.Contains(peopleOf[x.Type], who) {
						more[x.Type] += max(l.Rows-1, 0)
					}
				}
			} else if x.Stakeholder != "" {
				who = reachedName(rb, dir, x)
			}
			if !slices.Contains(peopleOf[x.Type], who) {
				peopleOf[x.Type] = append(peopleOf[x.Type], who)
			}
			if !slices.Contains(everyone, who) {
				everyone = append(everyone, who)
			}
		}
	}
	var parts []string
	for _, typ := range []string{"slack", "teams", "webhook", "log"} {
		if n := len(channelsOf[typ]); n > 0 {
			words := typeWords[typ]
			parts = append(parts, plural(n, words[0]+" channel", words[1]))
		}
	}
	first := true
	for _, typ := range []string{"email", "sms", "slack", "teams"} {
		if n := len(peopleOf[typ]) + more[typ]; n > 0 {
			if first {
				parts = append(parts, plural(n, "person", "people")+" "+typeWords[typ][2])
				first = false
			} else {
				parts = append(parts, fmt.Sprintf("%s %s", thousands(n), typeWords[typ][2]))
			}
		}
	}
	counts = strings.Join(parts, ", ")
	n := len(everyone) // and a list's rows beyond the one it is counted as, the largest of its ways
	if len(more) > 0 {
		n += slices.Max(slices.Collect(maps.Values(more)))
	}
	switch {
	case len(channels) > 0 && n > 0:
		short = plural(len(channels), "channel", "channels") + " and " + plural(n, "person", "people")
	case len(channels) > 0:
		short = plural(len(channels), "channel", "channels")
	case n > 0:
		short = plural(n, "person", "people")
	default:
		short = "no one"
	}
	return channels, everyone, counts, short
}

// languages says where each translation goes.
func languages(rb *runbooks.Runbook, dir runbooks.Directory, xs []engine.Recipient) []string {
	byLang := map[string][]engine.Recipient{}
	for _, x := range xs {
		if x.Language != "" && !x.Withheld {
			byLang[x.Language] = append(byLang[x.Language], x)
		}
	}
	var out []string
	for _, lang := range slices.Sorted(maps.Keys(byLang)) {
		for i := range byLang[lang] {
			byLang[lang][i].Language = ""
		}
		_, _, _, short := describe(rb, dir, byLang[lang])
		out = append(out, fmt.Sprintf("%s: %s", engine.LanguageName(lang), short))
	}
	return out
}

// reachedName names who a recipient is: the stakeholder, and for a rota
// whoever is on duty ("Duty Communications Officer: Alex Morgan").
func reachedName(rb *runbooks.Runbook, dir runbooks.Directory, x engine.Recipient) string {
	for i := range rb.Stakeholders {
		sh := &rb.Stakeholders[i]
		if string(sh.ID) != x.Stakeholder {
			continue
		}
		name := sh.NameIn(dir)
		if c, ok := contactOf(dir, x.Person); ok && sh.Rota != "" {
			return name + ": " + c.Name
		}
		return name
	}
	return x.Stakeholder
}

func contactOf(dir runbooks.Directory, person string) (runbooks.Contact, bool) {
	if dir == nil || person == "" {
		return runbooks.Contact{}, false
	}
	return dir.Contact(person)
}

func listInfo(dir runbooks.Directory, id string) (runbooks.ListInfo, bool) {
	if dir == nil {
		return runbooks.ListInfo{}, false
	}
	l, ok := dir.ListInfo(id)
	return l, ok && l.Loaded
}
