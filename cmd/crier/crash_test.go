package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crierhq/crier/record"
	"github.com/emersion/go-smtp"
)

// TestMain lets the crash test run this binary as crier itself.
func TestMain(m *testing.M) {
	if os.Getenv("CRIER_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// relay is an SMTP server counting each email each recipient receives, by
// subject.
type relay struct {
	mu  sync.Mutex
	got map[[2]string]int // subject, recipient
}

func (b *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{b: b}, nil }

type relaySession struct {
	b  *relay
	to []string
}

func (s *relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *relaySession) Reset()        { s.to = nil }
func (s *relaySession) Logout() error { return nil }
func (s *relaySession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, m.Body)
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	for _, to := range s.to {
		s.b.got[[2]string{subject, to}]++
	}
	return nil
}

// startRelay starts an SMTP relay counting what it receives, and gives
// its port.
func startRelay(t *testing.T) (*relay, int) {
	t.Helper()
	box := &relay{got: map[[2]string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpd := smtp.NewServer(box)
	smtpd.AllowInsecureAuth = true
	smtpd.ErrorLog = log.New(io.Discard, "", 0) // crier is killed mid-session on purpose
	go smtpd.Serve(ln)
	t.Cleanup(func() { smtpd.Close() })
	return box, ln.Addr().(*net.TCPAddr).Port
}

// count is how many emails with subject reached to.
func (b *relay) count(subject, to string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got[[2]string{subject, to}]
}

// exerciseReport is what the crash and cluster tests read of an
// activation's report.
type exerciseReport struct {
	Messages []struct {
		ID, State, Subject string
		Approvals          []struct{ By string }
		Acknowledged       []struct{ Stakeholder string }
	}
	Deliveries []struct {
		ID, Status, Target, Type, Subject string
		PossiblyDuplicated                bool `json:"possibly_duplicated"`
	}
}

// allSent reports whether the report has at least n messages, all sent.
func (r *exerciseReport) allSent(n int) bool {
	if len(r.Messages) < n {
		return false
	}
	for _, m := range r.Messages {
		if m.State != "sent" {
			return false
		}
	}
	return true
}

// checkArrivals checks every delivery was sent and received — more than
// once only where the report marks it possibly duplicated — and counts
// those marked and those that arrived twice.
func (r *exerciseReport) checkArrivals(t *testing.T, received func(typ, subject, target string) int) (marked, twice int) {
	t.Helper()
	for _, d := range r.Deliveries {
		n := received(d.Type, d.Subject, d.Target)
		if d.PossiblyDuplicated {
			marked++
		}
		switch {
		case d.Status != "sent" || n == 0:
			t.Errorf("delivery %s (%s to %s) %s, received %d times", d.ID, d.Subject, d.Target, d.Status, n)
		case n > 1 && !d.PossiblyDuplicated:
			t.Errorf("delivery %s arrived %d times but the report does not say it may have been duplicated", d.ID, n)
		case n > 1:
			twice++
		}
	}
	return marked, twice
}

// crashRunbook fans each of eight updates out to forty partners, one
// email each where they are asked to acknowledge; the public statements
// wait for the duty officer's approval.
func crashRunbook() string {
	var b strings.Builder
	b.WriteString("version: 1\nid: crash\ntitle: Reservoir incident\nstakeholders:\n")
	b.WriteString("  - {id: duty, name: Duty officer, roles: [approver], email: duty@northbridge.gov.uk}\n")
	for i := range 40 {
		fmt.Fprintf(&b, "  - {id: p%02d, name: Partner %d, roles: [partner], email: p%02d@partners.example}\n", i, i, i)
	}
	b.WriteString("channels:\n  - {id: partners, type: email, to: [role:partner]}\n  - {id: control, type: slack, slack_channel: \"#exercise-control\"}\nsteps:\n")
	for i := range 8 {
		fmt.Fprintf(&b, "  - id: update-%d\n    title: Update %d\n    at: %dm\n    notify:\n      to: [partners, control]\n      subject: Update %d\n      body: Update %d on the reservoir.\n", i, i, i, i, i)
		switch i % 3 {
		case 1:
			b.WriteString("      ack_within: 1h\n") // one email to each partner
		case 2:
			b.WriteString("      approval: {approvers: [duty]}\n")
		}
	}
	return b.String()
}

// crier is a crier serve running as its own process.
type crierProcess struct {
	cmd *exec.Cmd
	url string
}

func startCrier(t *testing.T, cfg string) *crierProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "CRIER_TEST_MAIN=1")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			go io.Copy(io.Discard, out)
			return &crierProcess{cmd: cmd, url: m[1]}
		}
	}
	cmd.Wait()
	t.Fatalf("crier serve did not start: %v", cmd.ProcessState)
	return nil
}

func (p *crierProcess) call(method, path, who string, out any) (int, error) {
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer crash-token-"+who+"-0123456789")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		err = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode, err
}

// Killed at random moments twenty times while an exercise fans out, and
// restarted each time, crier loses nothing: every delivery of every
// message reaches its endpoint, a second time only where the report says
// it may have; every approval given stays given; the record's chain is
// intact.
func TestKilledMidFanOutLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts crier 21 times")
	}
	dir := t.TempDir()
	box, smtpPort := startRelay(t)
	var slackMu sync.Mutex
	posted := map[string]int{}
	slack := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		slackMu.Lock()
		posted[r.Form.Get("text")]++
		slackMu.Unlock()
		fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1.1"}`)
	})}
	sl, _ := net.Listen("tcp", "127.0.0.1:0")
	go slack.Serve(sl)
	defer slack.Close()

	writeFile(t, dir, "crash.yaml", crashRunbook())
	t.Setenv("CRASH_PLANNER_TOKEN", "crash-token-planner-0123456789")
	t.Setenv("CRASH_DUTY_TOKEN", "crash-token-duty-0123456789")
	t.Setenv("CRASH_PARTNER_TOKEN", "crash-token-partner-0123456789")
	cfg := writeFile(t, dir, "crier.yaml", fmt.Sprintf(`version: 1
data_dir: %[1]s/data
runbooks: [%[1]s/crash.yaml]
server: {listen: "127.0.0.1:0"}
notifiers:
  slack: {token: xoxb-crash, api_url: "http://%[2]s/"}
  email: {host: 127.0.0.1, port: %[3]d, tls: none, from: crier@northbridge.gov.uk, messages_per_minute: 60000, connections: 4}
users:
  - {name: Priya Planner, email: planner@northbridge.gov.uk, roles: [planner, exercise-lead], token: "${CRASH_PLANNER_TOKEN}"}
  - {name: Dev Duty, email: duty@northbridge.gov.uk, roles: [comms], token: "${CRASH_DUTY_TOKEN}"}
  - {name: Pat Partner, email: p00@partners.example, roles: [viewer], token: "${CRASH_PARTNER_TOKEN}"}
`, dir, sl.Addr(), smtpPort))

	p := startCrier(t, cfg)
	var a struct{ ID string }
	req, _ := http.NewRequest("POST", p.url+"/api/v1/activations", strings.NewReader(`{"runbook":"crash","mode":"exercise","speed":120}`))
	req.Header.Set("Authorization", "Bearer crash-token-planner-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("activate: %v %v", resp, err)
	}
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()

	approved, acked := map[string]bool{}, map[string]bool{} // every approval and acknowledgement crier said yes to
	approve := func(p *crierProcess) {
		var messages []struct{ ID, State, Step string }
		if code, _ := p.call("GET", "/api/v1/messages?activation="+a.ID, "duty", &messages); code != http.StatusOK {
			return
		}
		for _, m := range messages {
			switch {
			case m.State == "pending_approval":
				if code, _ := p.call("POST", "/api/v1/messages/"+m.ID+"/approve", "duty", nil); code == http.StatusOK {
					approved[m.ID] = true
				}
			case !acked[m.ID] && (m.Step == "update-1" || m.Step == "update-4" || m.Step == "update-7"):
				if code, _ := p.call("POST", "/api/v1/messages/"+m.ID+"/ack", "partner", nil); code == http.StatusOK {
					acked[m.ID] = true
				}
			}
		}
	}
	for range 20 {
		deadline := time.Now().Add(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		for time.Now().Before(deadline) {
			approve(p)
			time.Sleep(20 * time.Millisecond)
		}
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		p = startCrier(t, cfg)
	}

	// The last crier finishes the exercise.
	var rep exerciseReport
	finished := func() bool {
		approve(p)
		code, _ := p.call("GET", "/api/v1/activations/"+a.ID+"/report", "planner", &rep)
		return code == http.StatusOK && rep.allSent(8)
	}
	for deadline := time.Now().Add(60 * time.Second); !finished(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the exercise did not finish: %+v", rep.Messages)
		}
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()

	marked, duplicated := rep.checkArrivals(t, func(typ, subject, target string) int {
		if typ == "email" {
			return box.count(subject, target)
		}
		slackMu.Lock()
		defer slackMu.Unlock()
		n := 0
		for text, k := range posted {
			if strings.Contains(text, subject) {
				n += k
			}
		}
		return n
	})
	approvals, acks := len(approved), len(acked)
	for _, m := range rep.Messages {
		if approved[m.ID] && len(m.Approvals) == 0 {
			t.Errorf("message %s was approved, but the record has no approval", m.ID)
		}
		if acked[m.ID] && len(m.Acknowledged) == 0 {
			t.Errorf("message %s was acknowledged, but the record has no acknowledgement", m.ID)
		}
		delete(approved, m.ID)
		delete(acked, m.ID)
	}
	if len(approved)+len(acked) > 0 {
		t.Errorf("messages approved or acknowledged are not in the record: %v %v", approved, acked)
	}
	v, err := record.Verify(filepath.Join(dir, "data"))
	if err != nil || v.Broken != 0 {
		t.Errorf("the record after 20 kills: %+v %v", v.Problem, err)
	}
	t.Logf("%d deliveries, %d approvals and %d acknowledgements given, %d marked possibly duplicated, %d arrived twice; %d commands in the record",
		len(rep.Deliveries), approvals, acks, marked, duplicated, v.Commands)
}
