package main

import (
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/server"
)

// addDemoCast lets the demo users in (the embedded default's, and only
// its: see server/demo.go) and prints, for each, who they are and a link
// to sign in as them, then what to try. The links are for a trial on this
// machine, never for a council's crier.
func addDemoCast(srv *server.Server, base string, w io.Writer) {
	fmt.Fprintln(w, "Demo users for this run. Open a link to sign in as that person; another link")
	fmt.Fprintln(w, "signs you in as someone else. The links are for a trial on this machine only.")
	for _, d := range srv.AddDemoCast() {
		fmt.Fprintf(w, "  %s, %s: %s\n    %s/login?as=%s\n", d.User.Name, d.As, d.Does, base, d.Token)
	}
	fmt.Fprint(w, tryThis)
}

// tryThis is the first flow, in real time so that nothing is overdue
// before a newcomer reaches it: an update written and approved at once,
// and the runbook's own public warning half an hour in, with its full 15
// minutes to approve. README.md says the same.
const tryThis = `Try this, in real time (speed 1):
  1. As Jo Evans, start an exercise of the flood warning.
  2. As Alex Morgan, open the exercise and write a message to the public
     ("Write a message"): four eyes, Alex may not approve what Alex wrote.
  3. As Sam Patel, approve it, and watch it go out on the activation page.
  At T+30m the runbook's own public warning waits for approval, with 15 minutes
  to approve it. (At speed 60 those 15 minutes would be 15 seconds.)
`

// demoBase is where a browser on this machine reaches crier listening on
// addr: an address for every interface is reached on 127.0.0.1.
func demoBase(addr string) string { return config.ListenURL(addr) }

// listenFlag checks --listen: host:port, the host optional.
func listenFlag(addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" || strings.ContainsAny(addr, "/ ") {
		return fmt.Errorf("--listen takes host:port, such as 127.0.0.1:9090, not %q", addr)
	}
	return nil
}
