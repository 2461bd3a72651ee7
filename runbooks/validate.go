package runbooks

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// validator checks what decoding cannot: references, contacts, timings,
// templates. It reports every problem it finds and never stops early.
type validator struct {
	rb *Runbook
	ds *diagnostics
	ix *index
	tc *templateCheck
	// uncontactable: stakeholders with no contact, and who must reach them.
	uncontactable map[*Stakeholder][]string
}

func validate(rb *Runbook, ds *diagnostics) {
	v := &validator{rb: rb, ds: ds}
	v.checkTop()
	v.checkNamespace()
	v.ix = newIndex(rb)
	rb.index = v.ix
	v.tc = newTemplateCheck(rb, ds)
	v.checkParams()
	v.checkStakeholders()
	v.checkChannels()
	v.checkAudiences()
	v.checkPolicy(rb.Escalation, "escalation", "the runbook's escalation")
	v.checkSteps()
	v.checkExercise()
	v.checkPublicUpdates()
	if r := v.rb.Rumours; r != nil && r.decoded() {
		approvers := v.checkRefs(r.Approvers, people, "rumours.approvers")
		v.checkRefs(r.EscalateTo, people, "rumours.escalate_to")
		if r.valid("min") && (r.Min < 1 || len(approvers.Stakeholders) > 0 && r.Min > len(approvers.Stakeholders)) {
			v.errorf(r.at("min"), "rumours.min", "min is %d: give 1 to the %d approvers there are", r.Min, len(approvers.Stakeholders))
		}
		if r.CorrectWithin != nil && r.CorrectWithin.D <= 0 {
			v.errorf(r.CorrectWithin.Pos, "rumours.correct_within", "correct_within must be longer than 0s")
		}
		if r.CorrectWithin == nil && len(r.EscalateTo) > 0 {
			v.errorf(r.at("escalate_to"), "rumours.escalate_to", "escalate_to is told of a correction not out within correct_within: give correct_within too")
		}
	}
	if t := v.rb.Tension; t != nil && t.decoded() {
		v.checkRefs(t.EscalateTo, people, "tension.escalate_to")
	}
	v.checkWaivers()
	v.reportUncontactable()
}

func (v *validator) errorf(p Pos, path, format string, args ...any) {
	v.ds.errorf(p, path, format, args...)
}

func (v *validator) checkTop() {
	rb := v.rb
	if strings.Contains(strings.TrimSpace(rb.Title), "\n") {
		v.errorf(rb.at("title"), "title", "title must be one line; put the detail in description")
	}
	rb.location = time.UTC
	tz := rb.Timezone
	if tz == "" && rb.valid("timezone") {
		v.errorf(rb.at("timezone"), "timezone", "timezone is empty; give an IANA time zone such as Europe/London, or leave the field out for Europe/London")
	}
	if tz == "" {
		tz = "Europe/London"
	}
	if loc, err := loadLocation(tz); err != nil {
		v.errorf(rb.at("timezone"), "timezone", "%v", err)
	} else {
		rb.location = loc
	}
	if rb.ReviewBy != "" {
		if _, err := time.Parse(time.DateOnly, rb.ReviewBy); err != nil {
			v.errorf(rb.at("review_by"), "review_by", "%q is not a date; expected YYYY-MM-DD, like 2027-03-31", rb.ReviewBy)
		}
	}
}

func loadLocation(tz string) (*time.Location, error) {
	if tz == "Local" || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		return nil, fmt.Errorf("%q is not an IANA time zone; expected a name such as Europe/London", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown timezone %q; expected an IANA time zone such as Europe/London or UTC", tz)
	}
	return loc, nil
}

// checkNamespace: channel, stakeholder and audience ids share one namespace.
func (v *validator) checkNamespace() {
	type first struct {
		kind string
		pos  Pos
	}
	seen := map[string]first{}
	add := func(id Slug, kind string, p Pos, path string) {
		if id == "" {
			return
		}
		if f, dup := seen[string(id)]; dup {
			v.errorf(p, path, "id %q is already used by the %s at line %d; channel, stakeholder and audience ids must all differ", id, f.kind, f.pos.Line)
			return
		}
		seen[string(id)] = first{kind, p}
	}
	for i, s := range v.rb.Stakeholders {
		add(s.ID, "stakeholder", s.at("id"), fmt.Sprintf("stakeholders[%d].id", i))
	}
	for i, c := range v.rb.Channels {
		add(c.ID, "channel", c.at("id"), fmt.Sprintf("channels[%d].id", i))
	}
	for i, a := range v.rb.Audiences {
		add(a.ID, "audience", a.at("id"), fmt.Sprintf("audiences[%d].id", i))
	}
}

var paramNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func (v *validator) checkParams() {
	seen := map[string]int{}
	for i, p := range v.rb.Params {
		path := fmt.Sprintf("params[%d]", i)
		switch {
		case p.Name == "":
		case !paramNameRE.MatchString(p.Name):
			v.errorf(p.at("name"), path+".name", "%q is not a valid param name; use lower-case letters, digits and underscores, like %q", p.Name, strings.ReplaceAll(slugify(p.Name), "-", "_"))
		case seen[p.Name] > 0:
			v.errorf(p.at("name"), path+".name", "param %q is declared twice (first at line %d)", p.Name, seen[p.Name])
		}
		if _, dup := seen[p.Name]; !dup {
			seen[p.Name] = p.at("name").Line
		}
		if p.Required && p.has("default") {
			v.ds.warnf(p.at("default"), path+".default", "param %q is required and has a default; the default is never used", p.Name)
		}
	}
}

var (
	slackUserRE    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	phoneRE        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	slackChannelRE = regexp.MustCompile(`^(#[^\sA-Z#.,]{1,80}|[CG][A-Z0-9]{8,})$`)
	envRefRE       = regexp.MustCompile(`\$\{([^}]*)\}`)
	envNameRE      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (v *validator) checkStakeholders() {
	for i, s := range v.rb.Stakeholders {
		path := fmt.Sprintf("stakeholders[%d]", i)
		if s.decoded() {
			v.checkPointer(&s, path)
		}
		for j, e := range s.Email {
			checkEmail(v.ds, e, fmt.Sprintf("%s.email[%d]", path, j))
		}
		if s.Slack != "" {
			if problem := SlackUserProblem(s.Slack); problem != "" {
				v.errorf(s.at("slack"), path+".slack", "%q %s", s.Slack, problem)
			}
		}
		if s.Phone != "" {
			checkPhone(v.ds, Ref{s.Phone, s.at("phone")}, path+".phone")
		}
		for j, r := range s.Roles {
			if r.Name != "" && !slugRE.MatchString(r.Name) {
				v.errorf(r.Pos, fmt.Sprintf("%s.roles[%d]", path, j), "%q is not a valid role; use lower-case letters, digits and hyphens, like %q", r.Name, slugify(r.Name))
			}
		}
	}
}

// checkPointer: a stakeholder is a person or a rota in the directory, or
// has a name and contacts of its own.
func (v *validator) checkPointer(s *Stakeholder, path string) {
	switch {
	case s.Person != "" && s.Rota != "":
		v.errorf(s.keyAt("rota"), path+".rota", "stakeholder %q: person and rota are both set; point at one person or one rota", s.ID)
	case s.InDirectory():
		field := "rota"
		if s.Person != "" {
			field = "person"
		}
		for _, own := range []string{"email", "slack", "phone", "organisation"} {
			if s.has(own) {
				v.errorf(s.keyAt(own), path+"."+own, "stakeholder %q: the %s comes from the directory's %s %q; remove %s here", s.ID, own, field, s.Person+s.Rota, own)
			}
		}
	case strings.TrimSpace(s.Name) == "" && !s.has("name"):
		v.errorf(s.Pos(), path, "missing required field \"name\" in stakeholder (or give person: or rota: to take it from the directory)")
	case strings.TrimSpace(s.Name) == "":
		v.errorf(s.at("name"), path+".name", "name is empty; it is required in a stakeholder (or give person: or rota: to take it from the directory)")
	}
}

func checkEmail(ds *diagnostics, e Ref, path string) {
	if e.Name == "" {
		return // decoding has reported it
	}
	if problem := EmailProblem(e.Name); problem != "" {
		ds.errorf(e.Pos, path, "%q %s", e.Name, problem)
	}
}

// EmailProblem says what is wrong with an email address as a contact,
// after the quoted address, or "" when nothing is.
func EmailProblem(addr string) string {
	if _, err := mail.ParseAddress(addr); err != nil {
		return "is not an email address; expected one address like duty.officer@council.gov.uk or \"Duty Officer <duty.officer@council.gov.uk>\""
	}
	return ""
}

func checkPhone(ds *diagnostics, p Ref, path string) {
	if problem := PhoneProblem(p.Name); problem != "" {
		ds.errorf(p.Pos, path, "%q %s", p.Name, problem)
	}
}

// PhoneProblem says what is wrong with a phone number as a contact, after
// the quoted number, or "" when nothing is.
func PhoneProblem(number string) string {
	if phoneRE.MatchString(number) {
		return ""
	}
	hint := ""
	digits := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(number)
	if strings.HasPrefix(digits, "0") && phoneRE.MatchString("+44"+digits[1:]) {
		hint = fmt.Sprintf(" (for a UK number, %q)", "+44"+digits[1:])
	}
	return "is not an E.164 phone number; write it with the country code and no spaces, like +447700900123" + hint
}

// SlackUserProblem says what is wrong with a Slack user id as a contact,
// after the quoted id, or "" when nothing is.
func SlackUserProblem(id string) string {
	if slackUserRE.MatchString(id) {
		return ""
	}
	return "is not a Slack user id; expected U… or W… as Slack shows it in a member's profile, like U04ABCD1234"
}

func (v *validator) checkChannels() {
	for i := range v.rb.Channels {
		c := &v.rb.Channels[i]
		path := fmt.Sprintf("channels[%d]", i)
		need := func(field string, ok bool) {
			if !ok {
				v.errorf(c.Pos(), path, "channel %q of type %s needs %s", c.ID, c.Type, field)
			}
		}
		forbid := func(field string, types ...ChannelType) {
			if c.has(field) && !slices.Contains(types, c.Type) && c.Type != "" {
				v.errorf(c.at(field), path+"."+field, "%s is only for %s channels, and %q is a %s channel", field, joinTypes(types), c.ID, c.Type)
			}
		}
		forbid("slack_channel", ChannelSlack)
		forbid("to", ChannelEmail, ChannelSMS)
		forbid("url", ChannelWebhook, ChannelTeams)
		switch c.Type {
		case ChannelSlack:
			need("slack_channel (#name or a channel id)", c.SlackChannel != "")
			if c.SlackChannel != "" && !slackChannelRE.MatchString(c.SlackChannel) {
				v.errorf(c.at("slack_channel"), path+".slack_channel", "%q is not a Slack channel; expected #name (lower case) or a channel id like C0123456789", c.SlackChannel)
			}
		case ChannelEmail, ChannelSMS:
			need("to (stakeholders, role:X or addresses)", len(c.To) > 0)
			v.checkChannelTo(c, path+".to")
		case ChannelWebhook, ChannelTeams:
			need("url (a ${ENV_VAR} reference)", c.URL != "")
			if c.URL != "" {
				u := c.URL
				if rest, plain := strings.CutPrefix(u, "http://"); plain {
					v.ds.warnf(c.at("url"), path+".url", "the url uses http, so messages to it cross the network unencrypted; use https")
					u = "https://" + rest
				}
				if err := checkURL(u); err != nil {
					v.errorf(c.at("url"), path+".url", "%v", err)
				}
			}
		}
	}
}

func joinTypes(ts []ChannelType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, " and ")
}

// checkChannelTo: every stakeholder an email channel lists needs an
// address, and every one an sms channel lists a phone.
func (v *validator) checkChannelTo(c *Channel, path string) {
	for j, t := range c.To {
		p := fmt.Sprintf("%s[%d]", path, j)
		switch {
		case t.Name == "":
		case c.Type == ChannelEmail && strings.Contains(t.Name, "@"):
			checkEmail(v.ds, t, p)
		case c.Type == ChannelSMS && (strings.HasPrefix(t.Name, "+") || startsWithDigit(t.Name)):
			checkPhone(v.ds, t, p)
		default:
			reached := v.ix.reach([]Ref{t}, people|kindList, func(_ int, msg string) { v.errorf(t.Pos, p, "%s", msg) })
			for _, s := range reached.Stakeholders {
				if s.InDirectory() {
					continue // CheckDirectory looks there
				}
				if c.Type == ChannelEmail && len(s.Email) == 0 {
					v.errorf(t.Pos, p, "stakeholder %q has no email address, so email channel %q cannot reach them", s.ID, c.ID)
				}
				if c.Type == ChannelSMS && s.Phone == "" {
					v.errorf(t.Pos, p, "stakeholder %q has no phone, so sms channel %q cannot reach them", s.ID, c.ID)
				}
			}
		}
	}
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// secretQueryKeys look like credentials when they appear in a URL.
var secretQueryKeys = []string{"sig", "signature", "token", "key", "secret", "code", "password", "apikey", "api_key", "access_token", "auth"}

// secretHosts issue webhook URLs that are themselves the credential.
var secretHosts = []string{"hooks.slack.com", "webhook.office.com", "logic.azure.com", "powerplatform.com", "discord.com", "discordapp.com"}

const putInEnv = "put the whole URL in an environment variable and write ${WEBHOOK_URL}"

// checkURL accepts a ${ENV_VAR} reference, or a plain https URL that
// carries no credentials: secrets never live in a runbook. Messages never
// repeat the URL, which may itself be the secret.
func checkURL(raw string) error {
	refs := envRefRE.FindAllStringSubmatch(raw, -1)
	for _, m := range refs {
		if !envNameRE.MatchString(m[1]) {
			return fmt.Errorf("%q is not a valid environment variable reference; expected ${NAME} with letters, digits and underscores", m[0])
		}
	}
	if len(refs) == 1 && refs[0][0] == raw {
		return nil
	}
	if i := strings.Index(envRefRE.ReplaceAllString(raw, ""), "${"); i >= 0 {
		rest := envRefRE.ReplaceAllString(raw, "")[i:]
		return fmt.Errorf("%q is not a valid environment variable reference; expected ${NAME}, closed with }", rest[:min(len(rest), 40)])
	}
	// Check what is written around any references as a URL of its own.
	u, err := url.Parse(envRefRE.ReplaceAllString(raw, "x"))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("the url is not an https URL; expected a ${ENV_VAR} reference such as ${TEAMS_WEBHOOK_URL}")
	}
	if u.User != nil {
		return fmt.Errorf("the url contains a user name or password; %s", putInEnv)
	}
	for _, h := range secretHosts {
		if u.Hostname() == h || strings.HasSuffix(u.Hostname(), "."+h) {
			return fmt.Errorf("%s webhook URLs contain their secret; %s", h, putInEnv)
		}
	}
	for k := range u.Query() {
		for _, secret := range secretQueryKeys {
			if strings.EqualFold(k, secret) {
				return fmt.Errorf("the url's %q parameter looks like a secret; %s", k, putInEnv)
			}
		}
	}
	return nil
}

func (v *validator) checkAudiences() {
	for i, a := range v.rb.Audiences {
		if !a.decoded() {
			continue
		}
		path := fmt.Sprintf("audiences[%d]", i)
		v.checkRefs(a.Channels, channelOnly, path+".channels")
		v.checkRefs(a.Stakeholders, people, path+".stakeholders")
		if len(a.Channels) == 0 && len(a.Stakeholders) == 0 {
			v.errorf(a.Pos(), path, "audience %q reaches nobody; give it channels or stakeholders", a.ID)
		}
		for j, l := range a.Languages {
			checkLanguage(v.ds, l, fmt.Sprintf("%s.languages[%d]", path, j))
		}
	}
}

func checkLanguage(ds *diagnostics, l Ref, path string) {
	if l.Name == "" {
		return // decoding has reported it
	}
	if problem := LanguageProblem(l.Name); problem != "" {
		ds.errorf(l.Pos, path, "%q %s", l.Name, problem)
	}
}

// LanguageProblem says what is wrong with a language tag, after the quoted
// tag, or "" when nothing is.
func LanguageProblem(tag string) string {
	if _, err := language.Parse(tag); err != nil {
		return "is not a BCP 47 language tag; expected a tag such as cy, ur, pl or pa-Arab"
	}
	return ""
}

// checkRefs reports references that do not resolve, and returns the reach.
func (v *validator) checkRefs(refs []Ref, kinds targetKinds, path string) Reach {
	return v.ix.reach(refs, kinds, func(i int, msg string) {
		v.errorf(refs[i].Pos, fmt.Sprintf("%s[%d]", path, i), "%s", msg)
	})
}

// checkPublicUpdates: the audiences exist (and are the public, else a
// warning), the gap is positive, and a silence reaches someone.
func (v *validator) checkPublicUpdates() {
	pu := v.rb.PublicUpdates
	if pu == nil || !pu.decoded() {
		return
	}
	v.checkRefs(pu.Audiences, kindAudience, "public_updates.audiences")
	for i, ref := range pu.Audiences {
		for _, au := range v.rb.Audiences {
			if string(au.ID) != ref.Name || au.Kind == AudiencePublic {
				continue
			}
			kind := "has no kind"
			if au.Kind != "" {
				kind = fmt.Sprintf("is kind %s", au.Kind)
			}
			v.ds.warnf(ref.Pos, fmt.Sprintf("public_updates.audiences[%d]", i),
				"audience %q %s, not public: public_updates promises updates to the public; give the audience kind: public, or name a public audience here", ref.Name, kind)
		}
	}
	if pu.valid("every") && pu.Every.D <= 0 {
		v.errorf(pu.Every.Pos, "public_updates.every", "every must be longer than 0s")
	}
	v.checkRefs(pu.EscalateTo, people, "public_updates.escalate_to")
	v.checkPolicy(pu.Escalation, "public_updates.escalation", "public_updates")
	if c, _ := v.rb.PublicUpdatesChain(); len(c.Levels) == 1 && len(c.Levels[0].To) == 0 {
		v.errorf(pu.Pos(), "public_updates", "a silence would be told to no one; give escalate_to, or an escalation policy with levels")
	}
}
