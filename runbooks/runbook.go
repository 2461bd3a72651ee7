// Package runbooks owns crier's runbook format, version 1: the types, strict
// YAML decoding with positions, validation with located errors, durations,
// schedules, template checks, plan expansion and the JSON Schema.
//
// A *Runbook returned by Parse or Load has been validated and must be treated
// as immutable: the engine pins it for the life of an activation.
package runbooks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Runbook is one crisis-communications plan.
type Runbook struct {
	located
	Version      int           `yaml:"version" jsonschema:"required,enum=1" jsonschema_description:"Format version; must be 1."`
	ID           Slug          `yaml:"id" jsonschema:"required" jsonschema_description:"Unique id of the runbook."`
	Title        string        `yaml:"title" jsonschema:"required,minLength=1" jsonschema_description:"One line: what the runbook is for."`
	Description  string        `yaml:"description"`
	Owner        string        `yaml:"owner" jsonschema_description:"Stakeholder id or free text."`
	ReviewBy     string        `yaml:"review_by" jsonschema:"format=date" jsonschema_description:"YYYY-MM-DD; validate warns when past."`
	Timezone     string        `yaml:"timezone" jsonschema:"default=Europe/London" jsonschema_description:"IANA time zone for cron schedules and dates shown to people."`
	Triggers     []Trigger     `yaml:"triggers"`
	Params       []Param       `yaml:"params" jsonschema:"maxItems=100"`
	Stakeholders []Stakeholder `yaml:"stakeholders" jsonschema:"required,minItems=1"`
	Channels     []Channel     `yaml:"channels" jsonschema:"required,minItems=1"`
	Audiences    []Audience    `yaml:"audiences"`
	Steps        []Step        `yaml:"steps" jsonschema:"required,minItems=1,maxItems=1000"`
	Exercise     *Exercise     `yaml:"exercise"`
	Escalation   *Escalation   `yaml:"escalation" jsonschema_description:"The escalation policy every deadline follows unless its step says otherwise."`
	// PublicUpdates promises the public an update at least every so
	// often while an activation runs: no information void.
	// Rumours says who approves a correction to a rumour, and how fast
	// one is expected.
	Rumours *Rumours `yaml:"rumours" jsonschema_description:"The rumour register: who approves corrections, and how fast one is expected."`
	// Tension says who is told when community tension rises to 4 or more.
	Tension       *Tension       `yaml:"tension" jsonschema_description:"The community tension log: who is told of a rise to level 4 or more."`
	PublicUpdates *PublicUpdates `yaml:"public_updates" jsonschema_description:"While an activation runs, something must reach these audiences at least every so often, or it is escalated."`
	Waive         []Waiver       `yaml:"waive" jsonschema_description:"Doctrine checks this runbook answers otherwise, each with the reason."`

	file     string
	location *time.Location
	warnings []Diagnostic
	index    *index // built once by validation: the runbook never changes after
}

// Trigger is an event this runbook answers.
type Trigger struct {
	located
	Event       Slug          `yaml:"event" jsonschema:"required"`
	MinSeverity EventSeverity `yaml:"min_severity" jsonschema:"enum=low,enum=medium,enum=high,enum=critical"`
}

// Param is a value given at activation and used in templates.
type Param struct {
	located
	Name        string `yaml:"name" jsonschema:"required,pattern=^[a-z_][a-z0-9_]*$"`
	Description string `yaml:"description"`
	Required    bool   `yaml:"required"`
	Default     string `yaml:"default"`
}

// Stakeholder is a person, post or group: with contacts of its own, or
// pointing at a person or a duty rota in the directory.
type Stakeholder struct {
	located
	ID    Slug      `yaml:"id" jsonschema:"required"`
	Name  string    `yaml:"name" jsonschema_description:"Required unless person or rota is given; then the directory's name by default."`
	Roles []Ref     `yaml:"roles"`
	Email Addresses `yaml:"email"`
	Slack string    `yaml:"slack" jsonschema:"pattern=^[UW][A-Z0-9]{2\\,}$" jsonschema_description:"Slack user id (U… or W…)."`
	Phone string    `yaml:"phone" jsonschema:"pattern=^\\+[1-9][0-9]{6\\,14}$" jsonschema_description:"E.164 number for SMS."`
	// Person and Rota point into the directory instead of giving contacts.
	Person Slug `yaml:"person" jsonschema_description:"A person in the directory: their contacts are used."`
	Rota   Slug `yaml:"rota" jsonschema_description:"A duty rota in the directory: whoever is on duty when a step fires is reached."`
	// Organisation is the directory's id of the organisation a stakeholder
	// with contacts of their own speaks for, for multi-agency sign-off.
	Organisation Slug `yaml:"organisation" jsonschema_description:"With contacts of their own: the directory organisation they sign for."`

	// writtenAt, for a stakeholder added for a person:ID or rota:ID
	// written in place of one, is the path it was first written at.
	writtenAt string
}

// InDirectory reports whether the stakeholder's contacts are kept in the
// directory: a person or a rota.
func (s *Stakeholder) InDirectory() bool { return s.Person != "" || s.Rota != "" }

// ChannelType says which notifier delivers a channel.
type ChannelType string

const (
	ChannelSlack   ChannelType = "slack"
	ChannelTeams   ChannelType = "teams"
	ChannelEmail   ChannelType = "email"
	ChannelSMS     ChannelType = "sms"
	ChannelWebhook ChannelType = "webhook"
	ChannelLog     ChannelType = "log"
)

// Channel is somewhere messages go.
type Channel struct {
	located
	ID           Slug        `yaml:"id" jsonschema:"required"`
	Type         ChannelType `yaml:"type" jsonschema:"required,enum=slack,enum=teams,enum=email,enum=sms,enum=webhook,enum=log"`
	SlackChannel string      `yaml:"slack_channel" jsonschema_description:"For slack: #name or a channel id."`
	To           []Ref       `yaml:"to" jsonschema_description:"For email and sms: stakeholder ids, role:X, addresses or E.164 numbers."`
	URL          string      `yaml:"url" jsonschema_description:"For webhook and teams: a ${ENV_VAR} reference or an https URL without secrets."`
	Description  string      `yaml:"description"`
}

// Audience is a named group of channels and stakeholders.
type Audience struct {
	located
	ID Slug `yaml:"id" jsonschema:"required"`
	// Kind says who the audience is, in the guidance's terms: what the
	// doctrine checks, the public feed and the no-information-void watch
	// key on.
	Kind         AudienceKind `yaml:"kind" jsonschema:"enum=public,enum=staff,enum=partners,enum=members,enum=community" jsonschema_description:"Who the audience is: public, staff, partners, members (councillors) or community."`
	Description  string       `yaml:"description"`
	Channels     []Ref        `yaml:"channels"`
	Stakeholders []Ref        `yaml:"stakeholders"`
	Languages    []Ref        `yaml:"languages" jsonschema_description:"BCP 47 language tags."`
}

// Step is something that happens, and when.
type Step struct {
	located
	ID    Slug   `yaml:"id" jsonschema:"required"`
	Title string `yaml:"title" jsonschema:"required,minLength=1"`
	Phase Slug   `yaml:"phase"`

	At    *Duration `yaml:"at" jsonschema_description:"Once, at activation plus this offset."`
	Every *Schedule `yaml:"every" jsonschema_description:"Recurring: a 5-field cron spec or a descriptor such as @daily or @every 4h."`
	Start *Duration `yaml:"start" jsonschema_description:"With every: first occurrence at or after activation plus start."`
	Until *Duration `yaml:"until" jsonschema_description:"With every: no occurrence after activation plus until."`
	After []Ref     `yaml:"after" jsonschema_description:"Once, when all these steps are complete."`
	Delay *Duration `yaml:"delay" jsonschema_description:"With after: wait this long after the steps complete."`

	Notify *Notify `yaml:"notify"`
	Task   *Task   `yaml:"task"`
}

// Recurring reports whether the step fires more than once.
func (s *Step) Recurring() bool { return s.Every != nil }

// Kind is "notify" or "task".
func (s *Step) Kind() string {
	if s.Task != nil {
		return "task"
	}
	return "notify"
}

// Notify is a message.
type Notify struct {
	located
	To           []Ref                  `yaml:"to" jsonschema:"required,minItems=1"`
	Subject      Template               `yaml:"subject"`
	Body         Template               `yaml:"body" jsonschema:"required"`
	Translations map[string]Translation `yaml:"translations"`
	Approval     *Approval              `yaml:"approval"`
	AckWithin    *Duration              `yaml:"ack_within"`
	EscalateTo   []Ref                  `yaml:"escalate_to" jsonschema_description:"One level of escalation: who is told when ack_within passes."`
	Escalation   *Escalation            `yaml:"escalation" jsonschema_description:"This deadline's own escalation policy, instead of escalate_to and the runbook's."`
}

// Translation is a message in another language.
type Translation struct {
	located
	Subject Template `yaml:"subject"`
	Body    Template `yaml:"body" jsonschema:"required"`
}

// Approval says who must approve a message before it is sent.
type Approval struct {
	located
	Approvers []Ref `yaml:"approvers" jsonschema:"required,minItems=1"`
	Min       int   `yaml:"min" jsonschema:"minimum=1,default=1"`
	// Organisations must each have at least one approval from one of their
	// people, on top of Min: a joint statement is signed by each.
	Organisations []Ref       `yaml:"organisations" jsonschema_description:"Directory organisation ids: at least one approval from each, on top of min."`
	Within        *Duration   `yaml:"within"`
	EscalateTo    []Ref       `yaml:"escalate_to" jsonschema_description:"One level of escalation: who is told when within passes."`
	Escalation    *Escalation `yaml:"escalation" jsonschema_description:"This deadline's own escalation policy, instead of escalate_to and the runbook's."`
}

// Task is a human action that someone must acknowledge and complete.
type Task struct {
	located
	Assignee     Ref         `yaml:"assignee" jsonschema:"required"`
	Instructions Template    `yaml:"instructions" jsonschema:"required"`
	AckWithin    *Duration   `yaml:"ack_within"`
	EscalateTo   []Ref       `yaml:"escalate_to" jsonschema_description:"One level of escalation: who is told when ack_within passes."`
	Escalation   *Escalation `yaml:"escalation" jsonschema_description:"This deadline's own escalation policy, instead of escalate_to and the runbook's."`
}

// Exercise says how the runbook behaves in a drill.
type Exercise struct {
	located
	Prefix   string `yaml:"prefix" jsonschema:"default=EXERCISE EXERCISE EXERCISE"`
	Redirect []Ref  `yaml:"redirect" jsonschema_description:"Channel ids; everything an exercise sends goes only to these."`
	// Participants are the people and channels taking part: an exercise
	// delivery to anyone else is withheld, and recorded as withheld.
	Participants []Ref    `yaml:"participants" jsonschema_description:"Stakeholders, roles, channels or audiences taking part; an exercise sends to no one else."`
	Injects      []Inject `yaml:"injects" jsonschema:"maxItems=1000"`
}

// DefaultExercisePrefix marks every drill message.
const DefaultExercisePrefix = "EXERCISE EXERCISE EXERCISE"

// Inject is a scenario event sent to participants during a drill.
type Inject struct {
	located
	ID   Slug     `yaml:"id" jsonschema:"required"`
	At   Duration `yaml:"at" jsonschema:"required"`
	To   []Ref    `yaml:"to" jsonschema:"required,minItems=1"`
	Body Template `yaml:"body" jsonschema:"required"`
}

// Rumours is the rumour register's policy: a correction is approved as a
// message is, by Approvers (Min of them, never its writer), and is
// expected within CorrectWithin of the rumour being logged; one not out
// by then is escalated to EscalateTo, else under the runbook's policy.
type Rumours struct {
	located
	Approvers     []Ref     `yaml:"approvers" jsonschema:"required,minItems=1"`
	Min           int       `yaml:"min" jsonschema:"minimum=1,default=1"`
	CorrectWithin *Duration `yaml:"correct_within" jsonschema_description:"How soon after a rumour is logged its correction should be out; the report says whether it was."`
	EscalateTo    []Ref     `yaml:"escalate_to" jsonschema_description:"Who is told when a rumour is not corrected within correct_within; without it, the runbook's escalation policy, else the approvers are reminded."`
}

// Tension is what the community tension log does beyond keeping the
// entries: whom a rise to level 4 or more (disorder possible) is told.
type Tension struct {
	located
	EscalateTo []Ref `yaml:"escalate_to" jsonschema:"required,minItems=1" jsonschema_description:"Who is told when an area's tension rises to 4 or more."`
}

// PublicUpdates is the promise of no information void: while an
// activation runs, if nothing has been sent to Audiences for Every, it is
// escalated (reason information_void) to EscalateTo, else under the
// runbook's escalation policy.
type PublicUpdates struct {
	located
	Audiences  []Ref       `yaml:"audiences" jsonschema:"required,minItems=1" jsonschema_description:"Audience ids: the public the updates are for."`
	Every      Duration    `yaml:"every" jsonschema:"required" jsonschema_description:"The longest silence allowed, such as 2h."`
	EscalateTo []Ref       `yaml:"escalate_to" jsonschema_description:"Who is told of a silence longer than every."`
	Escalation *Escalation `yaml:"escalation" jsonschema_description:"Its own escalation policy, instead of escalate_to and the runbook's."`
}

// Waiver sets a doctrine check aside for this runbook, saying why.
type Waiver struct {
	located
	Code   string `yaml:"code" jsonschema:"required,enum=doctrine/kinds,enum=doctrine/public-first-hour,enum=doctrine/partner-declaration,enum=doctrine/staff,enum=doctrine/recovery" jsonschema_description:"The doctrine check set aside."`
	Reason string `yaml:"reason" jsonschema:"required,minLength=1" jsonschema_description:"Why the runbook answers the guidance another way: shown by crier plan."`
}

// AudienceKind is who an audience is.
type AudienceKind string

// Audience kinds.
const (
	AudiencePublic    AudienceKind = "public"
	AudienceStaff     AudienceKind = "staff"
	AudiencePartners  AudienceKind = "partners"
	AudienceMembers   AudienceKind = "members" // councillors
	AudienceCommunity AudienceKind = "community"
)

// EventSeverity is how serious an event is: low, medium, high or critical.
type EventSeverity string

// Severities are the severities an event may have, least serious first.
func Severities() []string { return []string{"low", "medium", "high", "critical"} }

// File is the name the runbook was parsed under.
func (rb *Runbook) File() string { return rb.file }

// Location is the runbook's time zone.
func (rb *Runbook) Location() *time.Location { return rb.location }

// MarkExercise marks a drill message: the exercise prefix before its
// subject, and before and after its body. A text already marked (an edit
// written over a marked draft) is marked once.
func (rb *Runbook) MarkExercise(subject, body string) (string, string) {
	p := rb.ExercisePrefix()
	subject = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(subject), p))
	body = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(body), p), p))
	return p + " " + subject, p + "\n\n" + body + "\n\n" + p
}

// ExercisePrefix is the marker put before and after drill messages.
func (rb *Runbook) ExercisePrefix() string {
	if rb.Exercise != nil && rb.Exercise.Prefix != "" {
		return rb.Exercise.Prefix
	}
	return DefaultExercisePrefix
}

// Step returns the step with the given id.
func (rb *Runbook) Step(id string) (*Step, bool) {
	s, ok := rb.index.steps[id]
	return s, ok
}

// Warnings are problems that do not stop the runbook from loading, such as
// a review_by date before today.
func (rb *Runbook) Warnings(today time.Time) []Diagnostic {
	ws := slices.Clone(rb.warnings)
	if rb.ReviewBy != "" {
		// Dates in YYYY-MM-DD order as strings do.
		if today.In(rb.location).Format(time.DateOnly) > rb.ReviewBy {
			p := rb.at("review_by")
			ws = append(ws, Diagnostic{File: rb.file, Line: p.Line, Column: p.Column, Severity: SeverityWarning,
				Path: "review_by", Message: fmt.Sprintf("review_by %q has passed; review the runbook and set a new date", rb.ReviewBy)})
		}
	}
	SortDiagnostics(ws)
	return ws
}

// located records where a mapping, its keys and their values sit in the file.
// A parsed runbook keeps one for every mapping in it, so it is kept small:
// thousands of stakeholders are thousands of these. The keys written are one
// slice, in the order written, searched in turn: a mapping has a handful.
type located struct {
	pos    pos32
	key    pos32     // for a value in a map: where its key is
	fields []fieldAt // nil when the value was not a mapping; see decoded
}

// pos32 is a Pos kept in half the space: a runbook is at most 1 MiB.
type pos32 struct{ line, column int32 }

func narrow(p Pos) pos32 { return pos32{int32(p.Line), int32(p.Column)} }

func (p pos32) wide() Pos { return Pos{Line: int(p.line), Column: int(p.column)} }

// fieldAt is one key written in a mapping: where the key is and, when its
// value was written and decoded without error, where the value is (line 0
// when not: YAML counts lines from 1). name is the field's name from its
// type's shape, shared by every mapping of the type.
type fieldAt struct {
	name       string
	key, value pos32
}

// noFields is a decoded mapping with no keys written, not nil.
var noFields = make([]fieldAt, 0)

func (l *located) setKey(p Pos) { l.key = narrow(p) }

// keyPos is where a map value's key is written, such as a translation's
// language, or the value itself when that is unknown.
func (l located) keyPos() Pos {
	if l.key.line > 0 {
		return l.key.wide()
	}
	return l.pos.wide()
}

// setPos records where the mapping is and its keys; fields is nil when the
// value was not a mapping, and kept as it is.
func (l *located) setPos(p Pos, fields []fieldAt) {
	l.pos, l.fields = narrow(p), fields
}

// Pos is where the mapping starts.
func (l located) Pos() Pos { return l.pos.wide() }

// decoded reports whether the value was a mapping; validation skips the
// ones that were not, as decoding has already said what is wrong.
func (l located) decoded() bool { return l.fields != nil }

// field is the key as written, or nil.
func (l *located) field(key string) *fieldAt {
	for i := range l.fields {
		if l.fields[i].name == key {
			return &l.fields[i]
		}
	}
	return nil
}

// has reports whether the key was written in the file.
func (l located) has(key string) bool { return l.field(key) != nil }

// valid reports whether the key's value was written and decoded without
// error: checks of a value skip the ones decoding has already reported.
func (l located) valid(key string) bool {
	f := l.field(key)
	return f != nil && f.value.line > 0
}

// keyAt is where the key is written, or the mapping when it is absent.
func (l located) keyAt(key string) Pos {
	if f := l.field(key); f != nil {
		return f.key.wide()
	}
	return l.pos.wide()
}

// at is where the key's value is, or the mapping when the key is absent.
func (l located) at(key string) Pos {
	if f := l.field(key); f != nil && f.value.line > 0 {
		return f.value.wide()
	}
	return l.keyAt(key)
}

// IDPos is where the runbook's id is written.
func (rb *Runbook) IDPos() Pos { return rb.at("id") }
