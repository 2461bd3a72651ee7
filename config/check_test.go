package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crierhq/crier/runbooks"
)

// Check checks a file apart from the environment crier runs in: its
// references are not resolved, so unset variables are no error and the
// values they stand for are not judged, while everything written in the
// file is checked as Load checks it.
func TestCheck(t *testing.T) {
	needs, warns, err := Check("../examples/crier.yaml")
	if err != nil || len(warns) != 0 {
		t.Fatalf("the example: %v %v", warns, err)
	}
	if got := strings.Join(needs, " "); got != "ALEX_MORGAN_TOKEN CRIER_CLUSTER_SECRET CRIER_LINK_SECRET EP_DUTY_OFFICER_TOKEN GRACE_BENNETT_TOKEN "+
		"NOTIFY_API_KEY SAM_PATEL_TOKEN SLACK_BOT_TOKEN SLACK_SIGNING_SECRET SMTP_PASSWORD SMTP_USERNAME WEBHOOK_SIGNING_SECRET" {
		t.Errorf("the example needs %s", got)
	}

	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// Values that would fail if their references were empty: an address,
	// a URL, a host with tls: none, a short secret, a cluster's secrets.
	good := write("good.yaml", `version: 1
data_dir: ${CRIER_DATA_DIR}
server:
  listen: ${CRIER_LISTEN}
  public_url: https://${CRIER_HOST}/crier
  link_secret: ${CRIER_LINK_SECRET}
notifiers:
  email: {host: "${SMTP_HOST}", tls: none, username: crier, password: "${SMTP_PASSWORD}", from: "${SMTP_FROM}"}
  webhook: {signing_secret: "${WEBHOOK_SIGNING_SECRET}"}
users:
  - {name: Sam Patel, roles: [planner], token: "${SAM_TOKEN}"}
  - {name: Rae Moss, roles: [comms], token: "${RAE_TOKEN}"}
cluster:
  node_id: crier-1
  raft_addr: 10.20.0.11:8300
  peers: [crier-2@10.20.0.12:8300]
  secret: ${CRIER_CLUSTER_SECRET}
`)
	needs, warns, err = Check(good)
	if err != nil || len(warns) != 0 {
		t.Fatalf("references unresolved: %v %v", warns, err)
	}
	if got := strings.Join(needs, " "); got != "CRIER_CLUSTER_SECRET CRIER_DATA_DIR CRIER_HOST CRIER_LINK_SECRET CRIER_LISTEN RAE_TOKEN SAM_TOKEN SMTP_FROM SMTP_HOST SMTP_PASSWORD WEBHOOK_SIGNING_SECRET" {
		t.Errorf("needs %s", got)
	}
	// Load, in an environment without them, refuses the same file.
	if _, _, err := Load(good, lookupIn(nil)); err == nil {
		t.Error("Load resolved references that are not set")
	}

	// What is written in the file is checked all the same.
	bad := write("bad.yaml", `version: 1
server:
  listen: nowhere
  publicurl: https://crier.northbridge.gov.uk
notifiers:
  slack: {token: "${not valid}"}
  email: {host: smtp.northbridge.gov.uk, tls: startls, from: "${SMTP_FROM}"}
`)
	_, _, err = Check(bad)
	var list runbooks.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want an ErrorList", err)
	}
	var got []string
	for _, d := range list {
		got = append(got, d.String())
	}
	for _, want := range []string{
		bad + `:3:11: server.listen: "nowhere" is not an address`,
		bad + `:4:3: server: unknown field "publicurl" in server; did you mean "public_url"?`,
		bad + `:6:18: notifiers.slack.token: "${not valid}" is not a valid environment variable reference`,
		bad + `:7:47: notifiers.email.tls: "startls" is not a valid tls`,
	} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, want) }) {
			t.Errorf("no error %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(list) != 4 {
		t.Errorf("want 4 errors, got:\n%s", strings.Join(got, "\n"))
	}
}
