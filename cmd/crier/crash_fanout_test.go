package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// Killed in the middle of a fan-out to 3,000 people by Slack direct
// message, crier sends to each of them once after it restarts, a second
// time only where the report says it may have — no more than the sends it
// had in flight — and to nobody never.
func TestKilledMidLargeFanOutSendsEachOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts crier twice")
	}
	const people = 3000
	dir := t.TempDir()
	var mu sync.Mutex
	posted := map[string]int{}
	total := 0
	slack := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		channel := r.Form.Get("channel")
		mu.Lock()
		posted[channel]++
		total++
		mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":"D%s","ts":"1.1"}`, channel)
	})}
	sl, _ := net.Listen("tcp", "127.0.0.1:0")
	go slack.Serve(sl)
	defer slack.Close()

	var b strings.Builder
	b.WriteString("version: 1\nid: everyone\ntitle: Everyone\nstakeholders:\n")
	for i := range people {
		fmt.Fprintf(&b, "  - {id: p%d, name: Person %d, roles: [all], slack: U%08d}\n", i, i, i)
	}
	b.WriteString("channels:\n  - {id: log, type: log}\nsteps:\n  - {id: tell, title: Tell everyone, at: 0s, notify: {to: [role:all], subject: Road closures, body: The A61 is closed.}}\n")
	writeFile(t, dir, "everyone.yaml", b.String())
	t.Setenv("CRASH_PLANNER_TOKEN", "crash-token-planner-0123456789")
	cfg := writeFile(t, dir, "crier.yaml", fmt.Sprintf(`version: 1
data_dir: %[1]s/data
runbooks: [%[1]s/everyone.yaml]
server: {listen: "127.0.0.1:0"}
notifiers:
  slack: {token: xoxb-crash, api_url: "http://%[2]s/", workspace_rate: 100000}
users:
  - {name: Priya Planner, email: planner@northbridge.gov.uk, roles: [planner], token: "${CRASH_PLANNER_TOKEN}"}
`, dir, sl.Addr()))

	p := startCrier(t, cfg)
	req, _ := http.NewRequest("POST", p.url+"/api/v1/activations", strings.NewReader(`{"runbook":"everyone","mode":"live"}`))
	req.Header.Set("Authorization", "Bearer crash-token-planner-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("activate: %v %v", resp, err)
	}
	var a struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := total
		mu.Unlock()
		if n >= people/3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d sent in 30s", n)
		}
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	mu.Lock()
	atKill := total
	mu.Unlock()
	p = startCrier(t, cfg)

	var rep exerciseReport
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, _ := p.call("GET", "/api/v1/activations/"+a.ID+"/report", "planner", &rep)
		if code == http.StatusOK && rep.allSent(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fan-out did not finish: %+v", rep.Messages)
		}
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	if len(rep.Deliveries) != people {
		t.Fatalf("the report has %d deliveries; want %d", len(rep.Deliveries), people)
	}
	marked, twice := rep.checkArrivals(t, func(_, _, target string) int {
		mu.Lock()
		defer mu.Unlock()
		return posted[target]
	})
	// What can have been in flight: attempted and not yet known sent.
	if most := notifiers.InFlight * notifiers.DefaultWorkers; marked > most {
		t.Errorf("%d deliveries marked possibly duplicated; no more than %d can be in flight", marked, most)
	}
	t.Logf("killed after %d of %d sent; %d marked possibly duplicated, %d arrived twice", atKill, people, marked, twice)
}
