package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/crierhq/crier/record"
)

func runCluster(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] != "status" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			args = []string{"status", "--help"}
		} else {
			fmt.Fprintln(e.stderr, "crier cluster: say what to show: crier cluster status [--server URL]")
			return exitUsage
		}
	}
	return clientCommand(ctx, e, "cluster status", "", "Show the cluster's nodes and which one leads, as the server asked sees them.", args[1:], nil,
		func(ctx context.Context, c *client, _ string) (string, error) {
			var st record.Status
			if err := c.call(ctx, "GET", "/api/v1/cluster", nil, &st); err != nil {
				return "", err
			}
			var b strings.Builder
			fmt.Fprintf(&b, "Asked %s (node %s); the leader is %s; applied up to entry %d.\n", c.server, st.Node, orNone(st.Leader), st.Applied)
			for _, m := range st.Members {
				role := "follower"
				if m.Leader {
					role = "leader"
				}
				if !m.Voter {
					role += ", not voting"
				}
				this := ""
				if m.ThisOne {
					this = "  (asked)"
				}
				fmt.Fprintf(&b, "  %-12s %-22s %s%s\n", m.ID, m.Addr, role, this)
			}
			return b.String(), nil
		})
}

func orNone(s string) string {
	if s == "" {
		return "none yet"
	}
	return s
}
