package main

import (
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/server"
)

// On the embedded default, and only there, crier serve makes a cast of
// demo users for the example runbooks, so that a newcomer can play the
// whole flow: a planner, two comms officers who approve the examples'
// public messages (so four eyes can be seen), and an exercise lead. The
// runbooks know them by their Slack user ids, the one address every
// example gives its comms officers (the cyber-attack runbook has no
// council email on purpose). Their tokens are new at each run and kept
// only as SHA-256; the sign-in links printed are for a trial on this
// machine, never for a council's crier.

// demoUser is one of the cast, with what they do in the flow.
type demoUser struct {
	server.User
	as   string // who they are in the examples
	does string
}

var demoCast = []demoUser{
	{server.User{Name: "Priya Shah", Slack: "U04EPMG0001", Roles: []string{config.RolePlanner}},
		"planner, the Emergency Planning Manager", "activates runbooks, records decisions"},
	{server.User{Name: "Alex Morgan", Slack: "U04DCOM0003", Roles: []string{config.RoleComms}},
		"comms officer, the Duty Communications Officer", "approves, edits and rejects messages"},
	{server.User{Name: "Sam Patel", Slack: "U04HCOM0004", Roles: []string{config.RoleComms}},
		"comms officer, the Head of Communications", "the second pair of eyes"},
	{server.User{Name: "Jo Evans", Roles: []string{config.RoleExerciseLead}},
		"exercise lead", "starts exercises, sends injects"},
}

// addDemoCast lets the demo users in with fresh tokens and prints, for
// each, who they are and a link to sign in as them, then what to try.
func addDemoCast(srv *server.Server, base string, w io.Writer) error {
	fmt.Fprintln(w, "Demo users for this run. Open a link to sign in as that person; another link")
	fmt.Fprintln(w, "signs you in as someone else. The links are for a trial on this machine only.")
	for _, d := range demoCast {
		token, err := oneTimeToken()
		if err != nil {
			return err
		}
		u := d.User
		srv.AddUser(&u, token)
		fmt.Fprintf(w, "  %s, %s: %s\n    %s/login?as=%s\n", d.Name, d.as, d.does, base, token)
	}
	fmt.Fprintln(w, "Try this:")
	fmt.Fprintln(w, "  1. As Jo Evans, start an exercise of the flood warning at speed 60.")
	fmt.Fprintln(w, "  2. As Alex Morgan, open the public warning (about 30 seconds later) and edit it:")
	fmt.Fprintln(w, "     four eyes: Alex may not approve the revision Alex wrote.")
	fmt.Fprintln(w, "  3. As Sam Patel, approve it, and watch it go out on the activation page.")
	return nil
}

// demoBase is where a browser on this machine reaches crier listening on
// addr: an address for every interface is reached on 127.0.0.1.
func demoBase(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// listenFlag checks --listen: host:port, the host optional.
func listenFlag(addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" || strings.ContainsAny(addr, "/ ") {
		return fmt.Errorf("--listen takes host:port, such as 127.0.0.1:9090, not %q", addr)
	}
	return nil
}
