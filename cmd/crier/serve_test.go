package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// crier serve starts on a configuration, prints where it listens and a
// one-time admin token, answers the API with that token only, and stops
// cleanly when told.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "crier.yaml", "version: 1\ndata_dir: "+dir+"/data\nserver:\n  listen: 127.0.0.1:0\nrunbooks: [../../examples]\nnotifiers:\n  outbox:\n    dir: "+dir+"/outbox\n")
	srv := startServe(t, cfg)
	url, token := srv.url, srv.token
	get := func(tok string) (int, []map[string]any) {
		req, _ := http.NewRequest("GET", url+"/api/v1/runbooks", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var list []map[string]any
		json.NewDecoder(resp.Body).Decode(&list)
		return resp.StatusCode, list
	}
	if code, list := get(token); code != http.StatusOK || len(list) != 6 {
		t.Errorf("with the admin token: %d, %d runbooks", code, len(list))
	}
	if code, _ := get(strings.Replace(token, "crier_", "crier_x", 1)); code != http.StatusUnauthorized {
		t.Errorf("with another token: %d", code)
	}
	if code := srv.stop(); code != exitOK {
		t.Errorf("exit %d", code)
	}
}

// served is a crier serve running for a test.
type served struct {
	url, token string
	errOut     *strings.Builder
	stop       func() int // stops it and returns its exit code
}

// startServe runs crier serve on a configuration and waits until it says
// where it listens and what its admin token is.
func startServe(t *testing.T, cfg string) *served {
	t.Helper()
	out, w := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	s := &served{errOut: &strings.Builder{}}
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfg}, env{stdout: w, stderr: s.errOut, now: time.Now})
		w.Close()
	}()
	lines := bufio.NewScanner(out)
	for s.url == "" && lines.Scan() { // the token, if any, comes first
		if m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			s.url = m[1]
		}
		if m := regexp.MustCompile(`admin token .*: (crier_\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			s.token = m[1]
		}
	}
	if s.url == "" {
		cancel()
		t.Fatalf("crier serve printed no URL; exit %d\n%s", <-done, s.errOut.String())
	}
	go io.Copy(io.Discard, out)
	s.stop = func() int { cancel(); return <-done }
	return s
}
