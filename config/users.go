package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/crierhq/crier/runbooks"
)

// User is someone who may use crier, and what they may do.
type User struct {
	Name string `yaml:"name" jsonschema:"required"`
	// Email is matched against runbook stakeholders' email.
	Email string `yaml:"email"`
	// Slack is a Slack user id, matched against stakeholders' Slack ids
	// and the users who press Slack buttons.
	Slack string `yaml:"slack"`
	// Roles are what the user may do: viewer, planner, comms,
	// exercise-lead, admin.
	Roles []string `yaml:"roles" jsonschema:"required,minItems=1"`
	// TokenSHA256 is the hex SHA-256 of the user's API token; give either
	// it or Token.
	TokenSHA256 string `yaml:"token_sha256"`
	// Token is the user's API token, always from the environment.
	Token Secret `yaml:"token"`
}

// Roles a user may hold.
const (
	RoleViewer       = "viewer"
	RolePlanner      = "planner"
	RoleComms        = "comms"
	RoleExerciseLead = "exercise-lead"
	RoleAdmin        = "admin"
)

// roles are the roles a user may hold, in the order messages list them.
var roles = []string{RoleViewer, RolePlanner, RoleComms, RoleExerciseLead, RoleAdmin}

// HasRole reports whether the user holds the role.
func (u *User) HasRole(role string) bool {
	return slices.Contains(u.Roles, role)
}

// TokenDigest is the SHA-256 of the user's token, to compare with the
// digest of a token presented to the server.
func (u *User) TokenDigest() [sha256.Size]byte {
	if u.Token != "" {
		return sha256.Sum256([]byte(u.Token))
	}
	var d [sha256.Size]byte
	hex.Decode(d[:], []byte(strings.ToLower(u.TokenSHA256))) // checked when loaded
	return d
}

// Cluster makes crier one node of several that agree through Raft. With no
// cluster section crier is a single node that bootstraps itself.
type Cluster struct {
	NodeID   string `yaml:"node_id" jsonschema:"required"`
	RaftAddr string `yaml:"raft_addr" jsonschema:"required"`
	// Peers are the other nodes, each written id@host:port.
	Peers []string `yaml:"peers"`
	// Secret is shared by the cluster's nodes: it proves each to the
	// others, on the Raft connections and when a node passes a command
	// to the leader. crier's addition; needed with peers.
	Secret Secret `yaml:"secret"`
	// TLS is this node's certificate, its key and the cluster's CA, for
	// the mutual TLS between nodes; without it, crier makes them from
	// Secret.
	TLS *ClusterTLS `yaml:"tls"`
}

// ClusterTLS names PEM files: all three, or none.
type ClusterTLS struct {
	Cert string `yaml:"cert" jsonschema:"required"`
	Key  string `yaml:"key" jsonschema:"required"`
	CA   string `yaml:"ca" jsonschema:"required"`
}

// Peer is another node of the cluster.
type Peer struct {
	ID   string
	Addr string // host:port
}

// PeerList is the peers, split into id and address.
func (c *Cluster) PeerList() []Peer {
	out := make([]Peer, 0, len(c.Peers))
	for _, p := range c.Peers {
		id, addr, _ := strings.Cut(p, "@")
		out = append(out, Peer{ID: id, Addr: addr})
	}
	return out
}

var sha256HexRE = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// checkUsers checks each user, and that no two users share a name, a Slack
// id or a token. Users may share an email address: the people on a rota
// are all the stakeholder whose mailbox it is.
func (l *loader) checkUsers() {
	c := l.c
	names, slackIDs := map[string]int{}, map[string]int{}
	digests := map[[sha256.Size]byte]int{}
	// unique reports a value another user already has.
	unique := func(seen map[string]int, key string, i int, path, what string) {
		if first, dup := seen[key]; dup {
			l.errorf(path, "users[%d] has the same %s; each user needs their own", first, what)
			return
		}
		seen[key] = i
	}
	for i := range c.Users {
		u := &c.Users[i]
		at := fmt.Sprintf("users[%d].", i)
		if l.ok(at + "name") {
			unique(names, strings.ToLower(strings.TrimSpace(u.Name)), i, at+"name", "name")
		}
		if l.ok(at + "email") {
			if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || a.Name != "" {
				l.errorf(at+"email", "%s is not an email address; expected the address alone, such as sam.patel@northbridge.gov.uk", c.shown(at+"email", u.Email))
			}
		}
		if l.ok(at + "slack") {
			if !slackUserRE.MatchString(u.Slack) {
				l.errorf(at+"slack", "%s is not a Slack user id; copy the member id (U… or W…) from the person's Slack profile, not their display name", c.shown(at+"slack", u.Slack))
			} else {
				unique(slackIDs, u.Slack, i, at+"slack", "slack id")
			}
		}
		l.checkRoles(u, at+"roles")
		if l.checkToken(u, at) {
			if first, dup := digests[u.TokenDigest()]; dup {
				path := at + "token"
				if u.Token == "" {
					path = at + "token_sha256"
				}
				l.errorf(path, "users[%d] has the same token; each user needs their own", first)
			} else {
				digests[u.TokenDigest()] = i
			}
		}
	}
}

func (l *loader) checkRoles(u *User, path string) {
	seen := map[string]bool{}
	for j, r := range u.Roles {
		p := fmt.Sprintf("%s[%d]", path, j)
		switch {
		case !l.ok(p):
		case !slices.Contains(roles, r):
			hint := ""
			if !l.c.fromEnv(p) {
				hint = runbooks.Suggest(r, roles)
			}
			l.errorf(p, "%s is not a role; expected one of %s%s", l.c.shown(p, r), strings.Join(roles, ", "), hint)
		case seen[r]:
			l.errorf(p, "role %s is given twice", l.c.shown(p, r))
		}
		seen[r] = true
	}
}

// checkToken checks that the user has exactly one of token and
// token_sha256, and that it is usable; it reports whether it is.
func (l *loader) checkToken(u *User, at string) bool {
	tokenPath, hashPath := at+"token", at+"token_sha256"
	user := strings.TrimSuffix(at, ".")
	switch {
	case l.written(tokenPath) && l.written(hashPath):
		l.errorf(hashPath, "a user has token or token_sha256, not both; keep token_sha256 and remove token, or the other way round")
		return false
	case !l.written(tokenPath) && !l.written(hashPath):
		if l.written(user) && (!l.failed(user) || l.hasFields(user)) {
			l.errorf(user, "user %q has no token; add token_sha256 (the hex SHA-256 of their API token) or token: ${ENV_VAR}", u.Name)
		}
		return false
	case l.written(hashPath):
		if !l.ok(hashPath) {
			return false
		}
		if !sha256HexRE.MatchString(u.TokenSHA256) {
			l.errorf(hashPath, "%s is not a SHA-256; expected 64 hexadecimal characters, as printed by: printf %%s \"$TOKEN\" | sha256sum", l.c.shown(hashPath, u.TokenSHA256))
			return false
		}
		return true
	}
	if !l.ok(tokenPath) || u.Token == "" {
		return false
	}
	if len(u.Token) < minSecretLen {
		l.errorf(tokenPath, "%s is shorter than %d characters; use a long random token (openssl rand -hex 32)", l.c.secretShown(tokenPath), minSecretLen)
		return false
	}
	return true
}

// hasFields reports whether any field of the mapping at path is written.
func (l *loader) hasFields(path string) bool {
	for p := range l.pos {
		if strings.HasPrefix(p, path+".") {
			return true
		}
	}
	return false
}
