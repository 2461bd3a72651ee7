package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// servedProcess runs the fan-out through a crier serve process of its
// own, as a council runs it: its configuration and runbook written to a
// new directory, its Slack token and a planner's through the environment,
// the activation over its API. It returns the sends a second, timed from
// the activation to the fake's last post, and the process's peak resident
// set in MiB (0 where /proc does not tell it).
func (f *fanout) servedProcess(ctx context.Context) (rate, rss float64, err error) {
	dir, err := os.MkdirTemp("", "crier-fanout-serve-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "fanout.yaml"), f.runbooks["fanout.yaml"].Data, 0o600); err != nil {
		return 0, 0, err
	}
	config := fmt.Sprintf(`version: 1
data_dir: %[1]s/data
runbooks: [%[1]s/fanout.yaml]
server: {listen: "127.0.0.1:0"}
delivery: {workers: %[3]d}
notifiers:
  slack: {token: "${CRIER_BENCH_SLACK_TOKEN}", api_url: "%[2]s/", workspace_rate: 1000000}
users:
  - {name: Bench Planner, email: planner@northbridge.gov.uk, roles: [planner], token: "${CRIER_BENCH_PLANNER_TOKEN}"}
`, dir, f.slack.URL, f.Workers)
	if err := os.WriteFile(filepath.Join(dir, "crier.yaml"), []byte(config), 0o600); err != nil {
		return 0, 0, err
	}
	token := "bench-" + rand.Text()
	cmd := exec.CommandContext(ctx, f.Crier, "serve", "--config", filepath.Join(dir, "crier.yaml"))
	cmd.Env = append(os.Environ(), "CRIER_BENCH_SLACK_TOKEN=xoxb-bench", "CRIER_BENCH_PLANNER_TOKEN="+token)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("starting crier serve: %w", err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		stopped := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
		cmd.Wait()
		stopped.Stop()
	}()
	url, err := servingURL(out)
	if err != nil {
		return 0, 0, fmt.Errorf("crier serve did not start: %v\n%s", err, lastLines(stderr.String(), 5))
	}
	from := f.slack.posts.Load()
	start := time.Now()
	if _, err := activate(ctx, url, token, "fanout"); err != nil {
		return 0, 0, err
	}
	for f.slack.posts.Load()-from < int64(f.People) {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		if cmd.ProcessState != nil {
			return 0, 0, fmt.Errorf("crier serve stopped:\n%s", lastLines(stderr.String(), 5))
		}
		time.Sleep(time.Millisecond)
	}
	rate = float64(f.People) / time.Since(start).Seconds()
	return rate, float64(processPeakRSS(cmd.Process.Pid)) / (1 << 20), nil
}

// servingURL reads crier serve's output until it says where it serves.
func servingURL(out io.Reader) (string, error) {
	serving := regexp.MustCompile(`serving (http://\S+)`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := serving.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() { // keep the pipe flowing
				}
			}()
			return m[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("it ended before saying where it serves")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// processPeakRSS is a process's peak resident set, in bytes, or 0.
func processPeakRSS(pid int) uint64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	return vmHWM(string(status))
}
