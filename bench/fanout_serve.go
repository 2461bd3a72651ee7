package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// crierProcess is crier serve running as a process of its own, as a
// council runs it: its configuration and runbooks in a directory, its
// record in the directory's data, its Slack token and a planner's through
// the environment, Slack through the fake.
type crierProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr bytes.Buffer
	exited chan struct{}
}

// serveDir writes crier serve's configuration and runbooks (by file name)
// to a new directory, and returns it and the planner's token.
func (f *fanout) serveDir(runbooks map[string][]byte) (dir, token string, err error) {
	dir, err = os.MkdirTemp("", "crier-fanout-serve-")
	if err != nil {
		return "", "", err
	}
	var files []string
	for name, data := range runbooks {
		files = append(files, filepath.Join(dir, name))
		if err := os.WriteFile(files[len(files)-1], data, 0o600); err != nil {
			os.RemoveAll(dir)
			return "", "", err
		}
	}
	config := fmt.Sprintf(`version: 1
data_dir: %[1]s/data
runbooks: [%[4]s]
server: {listen: "127.0.0.1:0"}
delivery: {workers: %[3]d}
notifiers:
  slack: {token: "${CRIER_BENCH_SLACK_TOKEN}", api_url: "%[2]s/", workspace_rate: 1000000}
users:
  - {name: Bench Planner, email: planner@northbridge.gov.uk, roles: [planner], token: "${CRIER_BENCH_PLANNER_TOKEN}"}
`, dir, f.slack.URL, f.Workers, strings.Join(files, ", "))
	if err := os.WriteFile(filepath.Join(dir, "crier.yaml"), []byte(config), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, "bench-" + rand.Text(), nil
}

// startCrier starts crier serve on the configuration in dir and waits
// until it serves.
func (f *fanout) startCrier(ctx context.Context, dir, token string) (*crierProcess, error) {
	p := &crierProcess{exited: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, f.Crier, "serve", "--config", filepath.Join(dir, "crier.yaml"))
	p.cmd.Env = append(os.Environ(), "CRIER_BENCH_SLACK_TOKEN=xoxb-bench", "CRIER_BENCH_PLANNER_TOKEN="+token)
	p.cmd.Stderr = &p.stderr
	found := make(chan string, 1)
	p.cmd.Stdout = &servingURL{found: found}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting crier serve: %w", err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	select {
	case p.url = <-found:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("crier serve did not start:\n%s", lastLines(p.stderr.String(), 5))
	case <-time.After(time.Minute):
		p.kill()
		return nil, fmt.Errorf("crier serve did not say where it serves within a minute:\n%s", lastLines(p.stderr.String(), 5))
	}
}

// stop interrupts crier serve, as a service manager would, and waits for
// it to finish what it was doing.
func (p *crierProcess) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// kill stops crier serve at once, as a power cut would.
func (p *crierProcess) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// running is nil while crier serve runs, else what it last said.
func (p *crierProcess) running() error {
	select {
	case <-p.exited:
		return fmt.Errorf("crier serve stopped:\n%s", lastLines(p.stderr.String(), 5))
	default:
		return nil
	}
}

// peakRSS is the process's peak resident set in MiB, 0 where /proc does
// not tell it.
func (p *crierProcess) peakRSS() float64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	return float64(vmHWM(string(status))) / (1 << 20)
}

// servedProcess runs the Slack fan-out through a crier serve process of
// its own, activated over its API. It returns the sends a second, timed
// from the activation to the fake's last post, and the process's peak
// resident set in MiB.
func (f *fanout) servedProcess(ctx context.Context) (rate, rss float64, err error) {
	dir, token, err := f.serveDir(map[string][]byte{"fanout.yaml": f.runbooks["fanout.yaml"].Data})
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	p, err := f.startCrier(ctx, dir, token)
	if err != nil {
		return 0, 0, err
	}
	defer p.stop()
	from := f.slack.posts.Load()
	start := time.Now()
	if _, err := activate(ctx, p.url, token, "fanout"); err != nil {
		return 0, 0, err
	}
	if err := f.posted(ctx, p, from+int64(f.People)); err != nil {
		return 0, 0, err
	}
	return float64(f.People) / time.Since(start).Seconds(), p.peakRSS(), nil
}

// posted waits until the fake has taken n posts in all.
func (f *fanout) posted(ctx context.Context, p *crierProcess, n int64) error {
	for f.slack.posts.Load() < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.running(); err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// servingURL is crier serve's standard output: it hears the line saying
// where it serves, and lets the rest go.
type servingURL struct {
	line  []byte
	found chan<- string // hears the address, once
	heard bool
}

var serving = regexp.MustCompile(`serving (http://\S+)`)

func (w *servingURL) Write(b []byte) (int, error) {
	if w.heard {
		return len(b), nil
	}
	w.line = append(w.line, b...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			return len(b), nil
		}
		if m := serving.FindSubmatch(w.line[:i]); m != nil {
			w.found <- string(m[1])
			w.heard, w.line = true, nil
			return len(b), nil
		}
		w.line = w.line[i+1:]
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
