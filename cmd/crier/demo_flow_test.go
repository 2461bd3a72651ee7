package main

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The first flow crier serve prints, and the README says, can be done in
// time: in real time, Jo starts the flood warning's exercise, Alex writes
// to the public and may not approve it, Sam approves it and it goes out.
// Neither says to start at speed 60, when the warning's 15 minutes to
// approve would be 15 seconds.
func TestTheQuickStartFlowWorks(t *testing.T) {
	readme, err := os.ReadFile("../../README.md") // before demoServe moves to a directory of its own
	if err != nil {
		t.Fatal(err)
	}
	printed, base := demoServe(t)
	text := strings.Join(printed, "\n")
	for where, says := range map[string]string{"printed": text, "README": string(readme)} {
		if !strings.Contains(says, "in real time (speed 1)") || !regexp.MustCompile(`write\s+a\s+message\s+to\s+the\s+public`).MatchString(says) ||
			regexp.MustCompile(`flood warning at\s+speed 60`).MatchString(says) {
			t.Errorf("the %s flow:\n%s", where, says)
		}
	}
	token := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  (\w+) .*\n\s+\S+/login\?as=(\S+)$`).FindAllStringSubmatch(text, -1) {
		token[m[1]] = m[2]
	}
	call := func(who, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token[who])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, a := call("Jo", "POST", "/api/v1/activations", `{"runbook":"flood-warning","mode":"exercise","params":{"warning_area":"Riverside"}}`)
	if code != http.StatusCreated {
		t.Fatalf("Jo starting the exercise: %d %v", code, a)
	}
	code, m := call("Alex", "POST", "/api/v1/activations/"+a["id"].(string)+"/messages", `{"to":["public"],"subject":"Flood update","body":"Sandbags at the depot."}`)
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("Alex writing to the public: %d %v", code, m)
	}
	approve := "/api/v1/messages/" + m["id"].(string) + "/approve"
	if code, r := call("Alex", "POST", approve, `{"revision":1}`); code != http.StatusForbidden || !strings.Contains(r["error"].(string), "four eyes") {
		t.Errorf("Alex approving what Alex wrote: %d %v", code, r)
	}
	if code, r := call("Sam", "POST", approve, `{"revision":1}`); code != http.StatusOK || r["state"] == "pending_approval" {
		t.Errorf("Sam approving: %d %v", code, r)
	}
}
