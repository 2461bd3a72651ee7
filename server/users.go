package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/crierhq/crier/config"
)

// The roles, as the configuration names them.
const (
	RoleViewer       = config.RoleViewer
	RolePlanner      = config.RolePlanner
	RoleComms        = config.RoleComms
	RoleExerciseLead = config.RoleExerciseLead
	RoleAdmin        = config.RoleAdmin
)

// User is someone the server knows, by the SHA-256 of their token.
type User struct {
	Name   string
	Email  string
	Slack  string
	Roles  []string
	digest [32]byte
}

// Has reports whether the user holds one of roles; an admin holds them all.
func (u *User) Has(roles ...string) bool {
	return slices.Contains(u.Roles, RoleAdmin) || slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(u.Roles, r) })
}

// Identity is how the runbooks know the user: by email address, or else
// Slack user id, or else name. Approvers and stakeholders are matched on it.
func (u *User) Identity() string {
	switch {
	case u.Email != "":
		return u.Email
	case u.Slack != "":
		return u.Slack
	}
	return u.Name
}

// Person is who the user is in the record: their name, which the
// configuration keeps unique. Two users sharing one mailbox, and so one
// Identity, are two people.
func (u *User) Person() string { return u.Name }

func (u *User) rolesText() string {
	if len(u.Roles) == 0 {
		return "none"
	}
	return strings.Join(u.Roles, ", ")
}

// users finds a user by token.
type users struct{ all []*User }

func newUsers(cfg []config.User) *users {
	us := &users{}
	for i := range cfg {
		c := &cfg[i]
		us.all = append(us.all, &User{Name: c.Name, Email: c.Email, Slack: c.Slack, Roles: c.Roles, digest: c.TokenDigest()})
	}
	return us
}

// add adds a user, as the one-time admin token and the demo cast do.
func (us *users) add(u *User, token string) {
	u.digest = sha256.Sum256([]byte(token))
	us.all = append(us.all, u)
}

// bearer is the token the request carries as Authorization: Bearer, and
// whether it carries one.
func bearer(r *http.Request) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return token, ok && strings.TrimSpace(token) != ""
}

// byToken is the user whose token this is, or nil. Every user's digest is
// compared, in constant time, whoever matches.
func (us *users) byToken(token string) *User {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil
	}
	digest := sha256.Sum256([]byte(token))
	var found *User
	for _, u := range us.all {
		if subtle.ConstantTimeCompare(digest[:], u.digest[:]) == 1 {
			found = u
		}
	}
	return found
}

// bySlack is the user with a Slack user id, or nil.
func (us *users) bySlack(id string) *User {
	for _, u := range us.all {
		if u.Slack != "" && u.Slack == id {
			return u
		}
	}
	return nil
}
