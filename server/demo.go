package server

import (
	"crypto/rand"
	"encoding/base64"
)

// On the embedded default, and only there, crier serve lets in a cast of
// demo users for the example runbooks, so that a newcomer can play the
// whole flow: a planner, two comms officers who approve the examples'
// public messages (so that four eyes can be seen), an exercise lead, and
// the police's comms officer, who signs joint statements for the police.
// The runbooks know them by their Slack user ids, the one address every
// example gives its comms officers (the cyber-attack runbook has no
// council email on purpose). Their tokens are new at each run and kept
// only as SHA-256.

// Demo is one of the demo cast: who they are in the examples, what they
// do in the flow, and their token for this run.
type Demo struct {
	User     *User
	As, Does string
	Token    string
}

// demoCast is the cast, in the order they play.
func demoCast() []Demo {
	return []Demo{
		{User: &User{Name: "Priya Shah", Slack: "U04EPMG0001", Roles: []string{RolePlanner}},
			As: "planner, the Emergency Planning Manager", Does: "activates runbooks, records decisions"},
		{User: &User{Name: "Alex Morgan", Slack: "U04DCOM0003", Roles: []string{RoleComms}},
			As: "comms officer, the Duty Communications Officer", Does: "approves, edits and rejects messages"},
		{User: &User{Name: "Sam Patel", Slack: "U04HCOM0004", Roles: []string{RoleComms}},
			As: "comms officer, the Head of Communications", Does: "the second pair of eyes"},
		{User: &User{Name: "Jo Evans", Roles: []string{RoleExerciseLead}},
			As: "exercise lead", Does: "starts exercises, sends injects"},
		{User: &User{Name: "Laura Chen", Slack: "U04PCOM0305", Roles: []string{RoleComms}},
			As: "comms officer of Northbridge Police", Does: "signs joint statements for the police"},
	}
}

// AddDemoCast lets the demo cast in, each with a new random token, and
// returns them with their tokens, to be shown once.
func (s *Server) AddDemoCast() []Demo {
	cast := demoCast()
	for i := range cast {
		b := make([]byte, 32)
		_, _ = rand.Read(b) // crypto/rand does not fail on the platforms Go supports
		cast[i].Token = "crier_" + base64.RawURLEncoding.EncodeToString(b)
		s.users.add(cast[i].User, cast[i].Token)
	}
	return cast
}
