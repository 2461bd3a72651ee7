package server

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var whyNotLine = regexp.MustCompile(`<p class="why-not" role="note">([^<]*)</p>`)

// The message page says, in one line, why someone signed in cannot
// approve the statement waiting: a role that may not, a comms officer
// the runbook does not name, the writer of the revision, one who has
// approved it already. Those who can are told nothing.
func TestWhyYouCannotApprove(t *testing.T) {
	f := newFixture(t)
	id := f.activated()
	msg := "/ui/messages/" + id + "/statement/1"
	whyNot := func(who string) string {
		t.Helper()
		code, page := f.browser().post("/login", url.Values{"token": {token(who)}, "next": {msg}})
		if code != http.StatusOK {
			t.Fatalf("%s: %d", who, code)
		}
		if m := whyNotLine.FindStringSubmatch(page); m != nil {
			return html.UnescapeString(m[1])
		}
		return ""
	}
	approvers := " (Head of communications, Duty communications officer)."
	for who, want := range map[string]string{
		"Priya": "Your role (planner) may not approve messages: that is for the comms officers the runbook names" + approvers,
		"Elle":  "Your role (exercise lead) may not approve messages: that is for the comms officers the runbook names" + approvers,
		"Omar":  "You are not one of this message's approvers" + approvers,
		"Hana":  "",
	} {
		if got := whyNot(who); got != want {
			t.Errorf("%s is told %q, want %q", who, got, want)
		}
	}
	if code, _ := f.call(token("Dev"), "PUT", "/api/v1/messages/"+id+"/statement/1", `{"subject":"Statement","body":"Officers are on patrol in Eastfield."}`); code != http.StatusOK {
		t.Fatalf("editing: %d", code)
	}
	if got := whyNot("Dev"); got != "Four eyes: you wrote revision 2, so another approver must approve it"+approvers {
		t.Errorf("the editor is told %q", got)
	}
	if code, m := f.call(token("Hana"), "POST", "/api/v1/messages/"+id+"/statement/1/approve", `{"revision":2}`); code != http.StatusOK {
		t.Fatalf("approving: %d %v", code, m)
	}
	if got := whyNot("Hana"); !strings.HasPrefix(got, "You have approved revision 2; it waits for another approver") {
		t.Errorf("the first approver is told %q", got)
	}
	if got := whyNot("Dina"); got != "" {
		t.Errorf("a second approver, not the editor though sharing his mailbox, is told %q", got)
	}
}
