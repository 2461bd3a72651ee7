package main

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const servedRunbook = `version: 1
id: cohesion
title: Community cohesion after an incident
params:
  - name: area
    required: true
stakeholders:
  - id: head-comms
    name: Head of communications
    roles: [approver]
    email: head.comms@northbridge.gov.uk
  - id: duty-comms
    name: Duty communications officer
    roles: [approver]
    email: duty.comms@northbridge.gov.uk
  - id: deputy-comms
    name: Deputy head of communications
    roles: [approver]
    email: deputy.comms@northbridge.gov.uk
  - id: police
    name: Police community liaison
    email: liaison@police.example
channels:
  - id: public
    type: slack
    slack_channel: "#public-updates"
steps:
  - id: statement
    title: Community statement
    at: 0s
    notify:
      to: [public, police]
      subject: Community statement for {{ .Params.area }}
      body: Officers are in {{ .Params.area }} to reassure residents.
      approval: {approvers: [role:approver], min: 2}
      ack_within: 1h
`

// As the issue checks it: crier serve on a configuration; a runbook
// activated over the API; a two-approver message refused for the editor
// and for a comms officer the runbook does not name, approved by two who
// are; delivered to a fake Slack and an SMTP server; acknowledged through
// the signed link in the email; the report fetched.
func TestServeEndToEnd(t *testing.T) {
	slackFake := &slackAPI{calls: map[string]int{}, got: map[string][]string{}}
	api := httptest.NewServer(slackFake)
	defer api.Close()
	box := &mailbox{tries: map[string]int{}, got: map[string][]string{}}
	smtpSrv := smtp.NewServer(box)
	smtpSrv.Domain, smtpSrv.AllowInsecureAuth = "localhost", true
	sl, _ := net.Listen("tcp", "127.0.0.1:0")
	go smtpSrv.Serve(sl)
	defer smtpSrv.Close()
	free, _ := net.Listen("tcp", "127.0.0.1:0") // a port for crier, known before it starts: the links need it
	addr := free.Addr().String()
	free.Close()

	dir := t.TempDir()
	writeFile(t, dir, "cohesion.yaml", servedRunbook)
	t.Setenv("E2E_SLACK_TOKEN", "xoxb-drill")
	for _, u := range []string{"PLANNER", "HEAD", "DUTY", "DEPUTY", "PRESS"} {
		t.Setenv("E2E_"+u+"_TOKEN", "e2e-token-"+strings.ToLower(u)+"-0123456789")
	}
	cfg := writeFile(t, dir, "crier.yaml", fmt.Sprintf(`version: 1
data_dir: %[1]s/data
runbooks: [%[1]s/cohesion.yaml]
server:
  listen: %s
  public_url: http://%s
notifiers:
  slack:
    token: ${E2E_SLACK_TOKEN}
    api_url: %s/
  email:
    host: 127.0.0.1
    port: %d
    tls: none
    from: "Northbridge Emergency Communications <emergency@northbridge.gov.uk>"
users:
  - {name: Priya Planner, email: planner@northbridge.gov.uk, roles: [planner], token: "${E2E_PLANNER_TOKEN}"}
  - {name: Hana Head, email: head.comms@northbridge.gov.uk, roles: [comms], token: "${E2E_HEAD_TOKEN}"}
  - {name: Dev Duty, email: duty.comms@northbridge.gov.uk, roles: [comms], token: "${E2E_DUTY_TOKEN}"}
  - {name: Dee Deputy, email: deputy.comms@northbridge.gov.uk, roles: [comms], token: "${E2E_DEPUTY_TOKEN}"}
  - {name: Omar Press, email: press@northbridge.gov.uk, roles: [comms], token: "${E2E_PRESS_TOKEN}"}
`, dir, addr, addr, api.URL, sl.Addr().(*net.TCPAddr).Port))

	srv := startServe(t, cfg)
	errOut := srv.errOut
	base := "http://" + addr
	call := func(who, method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer e2e-token-"+who+"-0123456789")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut.String())
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, a := call("planner", "POST", "/api/v1/activations", `{"runbook":"cohesion","mode":"live","params":{"area":"Eastfield"}}`)
	if code != http.StatusCreated {
		t.Fatalf("activate: %d %v", code, a)
	}
	id := a["id"].(string)
	msg := "/api/v1/messages/" + id + "/statement/1"
	waitFor := func(what string, ok func() bool) {
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 10s for %s\n%s", what, errOut.String())
			}
		}
	}
	waitFor("the draft", func() bool { _, m := call("head", "GET", msg, ""); return m["state"] == "pending_approval" })
	call("duty", "PUT", msg, `{"subject":"Community statement for Eastfield","body":"Officers are in Eastfield tonight to reassure residents."}`)
	if code, m := call("duty", "POST", msg+"/approve", ""); code != http.StatusForbidden || !strings.Contains(fmt.Sprint(m["error"]), "four eyes") {
		t.Errorf("the editor approving: %d %v", code, m)
	}
	if code, m := call("press", "POST", msg+"/approve", ""); code != http.StatusForbidden || !strings.Contains(fmt.Sprint(m["error"]), "not an approver") {
		t.Errorf("an unnamed comms officer approving: %d %v", code, m)
	}
	if code, m := call("planner", "POST", msg+"/approve", ""); code != http.StatusForbidden {
		t.Errorf("a planner approving: %d %v", code, m)
	}
	call("head", "POST", msg+"/approve", `{"revision":2}`)
	call("deputy", "POST", msg+"/approve", `{"revision":2}`)
	waitFor("the deliveries", func() bool { _, m := call("head", "GET", msg, ""); return m["state"] == "sent" })
	if got := slackFake.got["public-updates"]; len(got) != 1 || got[0] != "Community statement for Eastfield" {
		t.Errorf("Slack got %v", slackFake.got)
	}
	mails := box.got["liaison@police.example"]
	if len(mails) != 1 {
		t.Fatalf("the police liaison got %d emails", len(mails))
	}
	link := ackLinkIn(t, mails[0])
	if !strings.HasPrefix(link, base+"/ack/") {
		t.Fatalf("ack link %q", link)
	}
	resp, err := http.Post(link, "application/x-www-form-urlencoded", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("acknowledging: %v %v", resp, err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/api/v1/activations/"+id+"/report?format=md", nil)
	req.Header.Set("Authorization", "Bearer e2e-token-planner-0123456789")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	report, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"approved revision 2 by Hana Head (as Head of communications)", "approved revision 2 by Dee Deputy (as Deputy head of communications)", "acknowledged by Police community liaison"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	if code := srv.stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
}

// ackLinkIn finds the acknowledgement link in an email's text part.
func ackLinkIn(t *testing.T, raw string) string {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := parts.NextPart() // decodes quoted-printable
		if err != nil {
			t.Fatalf("no text part with a link: %v", err)
		}
		text, _ := io.ReadAll(p)
		if m := regexp.MustCompile(`Acknowledge: (\S+)`).FindSubmatch(text); m != nil && strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			return string(m[1])
		}
	}
}
