package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crierhq/crier/record"
)

// startCriers starts crier serve with each set of arguments at once (each
// waits for a leader, which needs the others) and returns them running.
func startCriers(t *testing.T, args [][]string) []*crierProcess {
	t.Helper()
	ps := make([]*crierProcess, len(args))
	found := make(chan int, len(args))
	for i, a := range args {
		cmd := exec.Command(os.Args[0], append([]string{"serve"}, a...)...)
		cmd.Env = append(os.Environ(), "CRIER_TEST_MAIN=1")
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ps[i] = &crierProcess{cmd: cmd}
		go func() {
			lines := bufio.NewScanner(out)
			for lines.Scan() {
				if m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
					ps[i].url = m[1]
					found <- i
					io.Copy(io.Discard, out)
					return
				}
			}
			found <- -1
		}()
	}
	t.Cleanup(func() {
		for _, p := range ps {
			p.cmd.Process.Signal(syscall.SIGCONT)
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	for range args {
		select {
		case i := <-found:
			if i < 0 {
				t.Fatal("a node did not start")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the cluster did not start")
		}
	}
	return ps
}

// A three-node cluster on loopback runs an exercise: a command given to a
// follower lands; a follower cut off for a while (stopped) catches up;
// the leader killed mid-fan-out, the other two elect a new one, which
// finishes the exercise: every delivery arrives, twice only where the
// report says it may have.
func TestAClusterLosesItsLeaderMidExercise(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three criers")
	}
	dir := t.TempDir()
	box, smtpPort := startRelay(t)
	noSlack := strings.NewReplacer("  - {id: control, type: slack, slack_channel: \"#exercise-control\"}\n", "", "[partners, control]", "[partners]")
	writeFile(t, dir, "crash.yaml", noSlack.Replace(crashRunbook()))
	t.Setenv("CRASH_PLANNER_TOKEN", "crash-token-planner-0123456789")
	t.Setenv("CRASH_DUTY_TOKEN", "crash-token-duty-0123456789")
	t.Setenv("CRASH_PARTNER_TOKEN", "crash-token-partner-0123456789")
	t.Setenv("CRASH_CLUSTER_SECRET", "the-cluster-secret-0123456789")
	t.Setenv("CRASH_LINK_SECRET", "the-link-secret-0123456789")
	raftAddrs := make([]string, 3)
	for i := range raftAddrs {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		raftAddrs[i] = l.Addr().String()
		l.Close()
	}
	var cfgs []string
	for i := range 3 {
		var peers []string
		for j := range 3 {
			if j != i {
				peers = append(peers, fmt.Sprintf("node-%d@%s", j, raftAddrs[j]))
			}
		}
		cfgs = append(cfgs, writeFile(t, dir, fmt.Sprintf("node-%d.yaml", i), fmt.Sprintf(`version: 1
data_dir: %[1]s/data-%[2]d
runbooks: [%[1]s/crash.yaml]
server: {listen: "127.0.0.1:0", link_secret: "${CRASH_LINK_SECRET}"}
cluster: {node_id: node-%[2]d, raft_addr: "%[3]s", peers: [%[4]s], secret: "${CRASH_CLUSTER_SECRET}"}
notifiers:
  email: {host: 127.0.0.1, port: %[5]d, tls: none, from: crier@northbridge.gov.uk, messages_per_minute: 60000, connections: 4}
users:
  - {name: Priya Planner, email: planner@northbridge.gov.uk, roles: [planner, exercise-lead], token: "${CRASH_PLANNER_TOKEN}"}
  - {name: Dev Duty, email: duty@northbridge.gov.uk, roles: [comms], token: "${CRASH_DUTY_TOKEN}"}
`, dir, i, raftAddrs[i], strings.Join(peers, ", "), smtpPort)))
	}
	var args [][]string
	for _, cfg := range cfgs {
		args = append(args, []string{"--config", cfg})
	}
	nodes := startCriers(t, args)
	status := func(p *crierProcess) record.Status {
		var st record.Status
		p.call("GET", "/api/v1/cluster", "planner", &st)
		return st
	}
	var leader *crierProcess
	var followers []*crierProcess
	for deadline := time.Now().Add(15 * time.Second); leader == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		followers = nil
		for _, p := range nodes {
			if status(p).Leads {
				leader = p
			} else {
				followers = append(followers, p)
			}
		}
	}
	if leader == nil || len(followers) != 2 {
		t.Fatal("no leader")
	}

	// Activated through a follower: it passes the command on.
	var a struct{ ID string }
	req, _ := http.NewRequest("POST", followers[0].url+"/api/v1/activations", strings.NewReader(`{"runbook":"crash","mode":"exercise","speed":120}`))
	req.Header.Set("Authorization", "Bearer crash-token-planner-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("activating through a follower: %v %s", err, body)
	}
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	approve := func(p *crierProcess) {
		var pending []struct{ ID string }
		p.call("GET", "/api/v1/messages?state=pending_approval", "duty", &pending)
		for _, m := range pending {
			p.call("POST", "/api/v1/messages/"+m.ID+"/approve", "duty", nil)
		}
	}
	// One follower is cut off (stopped) while the leader is killed mid-fan-out.
	cut := followers[1]
	cut.cmd.Process.Signal(syscall.SIGSTOP)
	for deadline := time.Now().Add(1200 * time.Millisecond); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		approve(followers[0])
	}
	cut.cmd.Process.Signal(syscall.SIGCONT)
	time.Sleep(300 * time.Millisecond)
	leader.cmd.Process.Signal(syscall.SIGKILL)
	leader.cmd.Wait()

	var rep exerciseReport
	report := func(p *crierProcess) bool {
		code, _ := p.call("GET", "/api/v1/activations/"+a.ID+"/report", "planner", &rep)
		return code == http.StatusOK
	}
	finished := func() bool {
		approve(followers[0])
		return report(followers[0]) && rep.allSent(8)
	}
	for deadline := time.Now().Add(60 * time.Second); !finished(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the survivors did not finish the exercise: %+v\n%+v %+v", rep.Messages, status(followers[0]), status(cut))
		}
	}
	if !status(followers[0]).Leads && !status(cut).Leads {
		t.Error("neither survivor leads")
	}
	rep.checkArrivals(t, func(_, subject, target string) int { return box.count(subject, target) })
	// The follower that was cut off has caught up with the rest.
	want, _ := json.Marshal(rep)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		report(cut)
		if got, _ := json.Marshal(rep); string(got) == string(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the follower cut off did not catch up")
		}
	}
	t.Logf("%d deliveries through a leader change; the leader was %s", len(rep.Deliveries), leader.url)
}

// A node started with --join is added to a running cluster, and the
// cluster's status says so; a command given to it lands.
func TestANodeJoinsACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two criers")
	}
	dir := t.TempDir()
	examples, _ := os.Getwd()
	t.Setenv("CRASH_PLANNER_TOKEN", "crash-token-planner-0123456789")
	t.Setenv("CRIER_CLUSTER_SECRET", "the-cluster-secret-0123456789")
	t.Setenv("CRASH_LINK_SECRET", "the-link-secret-0123456789")
	config := func(name string) string {
		return writeFile(t, dir, name+".yaml", fmt.Sprintf(`version: 1
data_dir: %[1]s/%[2]s
runbooks: [%[3]s/../../examples]
server: {listen: "127.0.0.1:0", link_secret: "${CRASH_LINK_SECRET}"}
notifiers: {outbox: {dir: %[1]s/outbox}}
users:
  - {name: Priya Planner, email: planner@northbridge.gov.uk, roles: [planner, exercise-lead], token: "${CRASH_PLANNER_TOKEN}"}
`, dir, name, examples))
	}
	addrs := make([]string, 2)
	for i := range addrs {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addrs[i] = l.Addr().String()
		l.Close()
	}
	first := startCriers(t, [][]string{{"--config", config("first"), "--node-id", "node-a", "--raft-addr", addrs[0]}})[0]
	second := startCriers(t, [][]string{{"--config", config("second"), "--node-id", "node-b", "--raft-addr", addrs[1], "--join", addrs[0]}})[0]

	t.Setenv("CRIER_TOKEN", "crash-token-planner-0123456789")
	// The node that joined learns the cluster's membership from the
	// leader's log: wait until it has, however busy the machine.
	var out, errOut string
	var code int
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, errOut, code = crier(t, "cluster", "status", "--server", second.url)
		if code != exitOK || strings.Contains(out, "(asked)") || time.Now().After(deadline) {
			break
		}
	}
	if code != exitOK || !strings.Contains(out, "the leader is node-a") || !strings.Contains(out, "node-b") || !strings.Contains(out, "(asked)") {
		t.Errorf("cluster status: %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = crier(t, "activate", "--server", second.url, "--exercise", "--param", "warning_area=Riverside", "flood-warning")
	id := regexp.MustCompile(`a-\d+`).FindString(out)
	if code != exitOK || id == "" {
		t.Fatalf("activating through the node that joined: %d %s %s", code, out, errOut)
	}
	if out, _, code := crier(t, "status", "--server", first.url, id); code != exitOK || !strings.Contains(out, "Flood") {
		t.Errorf("the leader does not have it: %d %s", code, out)
	}
}
