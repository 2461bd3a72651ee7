package runbooks

import (
	"slices"
	"strings"
	"testing"
)

// doctrineMet meets every doctrine check: partners declared at T+0 with an
// acknowledgement asked, the public told at T+45m (after the declaration),
// staff told, and a listening session in recovery.
const doctrineMet = `version: 1
id: doctrine
title: Doctrine
stakeholders:
  - id: duty
    name: Duty officer
    email: duty@northbridge.gov.uk
channels:
  - id: partner-mail
    type: log
  - id: web
    type: log
  - id: intranet
    type: log
audiences:
  - id: partners
    kind: partners
    channels: [partner-mail]
  - id: residents
    kind: public
    channels: [web]
  - id: all-staff
    kind: staff
    channels: [intranet]
steps:
  - id: declare
    title: Declare to partners
    at: 0s
    notify:
      to: [partners]
      body: A major incident is declared.
      ack_within: 15m
      escalate_to: [duty]
  - id: holding
    title: Holding statement
    after: [declare]
    delay: 45m
    notify:
      to: [residents]
      body: We know, and we are responding.
  - id: staff-brief
    title: Staff briefing
    at: 3h
    notify:
      to: [all-staff]
      body: What staff need to know.
  - id: listening
    title: Open listening session
    at: 3d
    task:
      assignee: duty
      instructions: Hold an open listening session.
`

func doctrineCodes(t *testing.T, src string) []string {
	t.Helper()
	rb, err := Parse("doctrine.yaml", []byte(src))
	if err != nil {
		t.Fatalf("the runbook does not load: %v", err)
	}
	var codes []string
	for _, d := range Doctrine(rb) {
		if d.Severity != SeverityWarning || !strings.HasPrefix(d.Message, d.Code+": ") || d.Line == 0 {
			t.Errorf("%s: a doctrine warning is a located warning whose message starts with its code: %+v", d.Code, d)
		}
		codes = append(codes, d.Code)
	}
	return codes
}

// edit replaces old, which must be in src, with new.
func edit(t *testing.T, src, old, new string) string {
	t.Helper()
	if !strings.Contains(src, old) {
		t.Fatalf("%q is not in the runbook", old)
	}
	return strings.Replace(src, old, new, 1)
}

func TestDoctrineFiresOnlyWhereMissed(t *testing.T) {
	cases := []struct {
		name    string
		old     string
		new     string
		want    []string
		comment string
	}{
		{name: "all met", want: nil},
		{name: "public at T+61m", old: "delay: 45m", new: "delay: 61m", want: []string{DoctrinePublicFirstHour}},
		{name: "public at T+60m exactly", old: "delay: 45m", new: "delay: 60m", want: nil},
		{name: "public only to a channel, not a public audience", old: "to: [residents]", new: "to: [web]", want: []string{DoctrinePublicFirstHour}},
		{name: "public every 30m from T+0", old: "    after: [declare]\n    delay: 45m", new: "    every: \"@every 30m\"", want: nil},
		{name: "public on a daily cron, which may be hours away", old: "    after: [declare]\n    delay: 45m", new: "    every: \"0 9 * * *\"", want: []string{DoctrinePublicFirstHour}},
		{name: "public on an hourly cron", old: "    after: [declare]\n    delay: 45m", new: "    every: \"0 * * * *\"", want: nil},
		{name: "public on an hourly cron from T+2h", old: "    after: [declare]\n    delay: 45m", new: "    every: \"0 * * * *\"\n    start: 2h", want: []string{DoctrinePublicFirstHour}},
		{name: "partners declared without asking for acknowledgement", old: "      ack_within: 15m\n      escalate_to: [duty]\n", new: "", want: []string{DoctrinePartnerDeclaration}},
		{name: "partners declared at T+5m", old: "    at: 0s\n    notify:\n      to: [partners]", new: "    at: 5m\n    notify:\n      to: [partners]", want: []string{DoctrinePartnerDeclaration}},
		{name: "staff never told", old: "to: [all-staff]", new: "to: [partners]", want: []string{DoctrineStaff}},
		{name: "no recovery step", old: "title: Open listening session", new: "title: Thank the volunteers", want: []string{DoctrineRecovery}},
		{name: "recovery by phase", old: "title: Open listening session", new: "title: Thank the volunteers\n    phase: recovery", want: nil},
		{name: "community recovery group by title", old: "title: Open listening session", new: "title: Convene the Community Recovery Group", want: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := doctrineMet
			if c.old != "" {
				src = edit(t, src, c.old, c.new)
			}
			if got := doctrineCodes(t, src); !slices.Equal(got, c.want) {
				t.Errorf("doctrine codes = %v, want %v", got, c.want)
			}
		})
	}
}

func TestDoctrineWithoutKindsSaysSoOnce(t *testing.T) {
	src := doctrineMet
	for _, kind := range []string{"    kind: partners\n", "    kind: public\n", "    kind: staff\n"} {
		src = edit(t, src, kind, "")
	}
	if got := doctrineCodes(t, src); !slices.Equal(got, []string{DoctrineKinds}) {
		t.Errorf("doctrine codes = %v, want only %s", got, DoctrineKinds)
	}
}

func TestWaiverSilencesACheckAndKeepsItsReason(t *testing.T) {
	src := edit(t, doctrineMet, "to: [all-staff]", "to: [partners]")
	src = edit(t, src, "steps:\n", "waive:\n  - code: doctrine/staff\n    reason: Staff are told by the intranet team's own plan.\nsteps:\n")
	if got := doctrineCodes(t, src); len(got) != 0 {
		t.Errorf("doctrine codes = %v, want none: doctrine/staff is waived", got)
	}
	rb, err := Parse("doctrine.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if reason, ok := rb.Waived(DoctrineStaff); !ok || reason != "Staff are told by the intranet team's own plan." {
		t.Errorf("Waived(doctrine/staff) = %q, %v", reason, ok)
	}
	if _, ok := rb.Waived(DoctrineRecovery); ok {
		t.Error("doctrine/recovery is reported waived, but the runbook does not waive it")
	}
}

func TestBadWaiversAreLocatedErrors(t *testing.T) {
	cases := []struct {
		name, waive, want string
	}{
		{"unknown code", "  - code: doctrine/staf\n    reason: Told elsewhere.\n",
			`doctrine.yaml:26:11: waive[0].code: "doctrine/staf" is not a valid code; expected one of`},
		{"no reason", "  - code: doctrine/staff\n",
			`doctrine.yaml:26:5: waive[0]: missing required field "reason"`},
		{"empty reason", "  - code: doctrine/staff\n    reason: \"\"\n",
			`doctrine.yaml:27:13: waive[0].reason: reason is empty`},
		{"waived twice", "  - code: doctrine/staff\n    reason: One.\n  - code: doctrine/staff\n    reason: Two.\n",
			`doctrine.yaml:28:11: waive[1].code: doctrine/staff is waived twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := edit(t, doctrineMet, "steps:\n", "waive:\n"+c.waive+"steps:\n")
			_, err := Parse("doctrine.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v\nwant it to contain %s", err, c.want)
			}
		})
	}
}
