package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// demoServe runs crier serve with args on a free port, in a directory of
// its own (the embedded default writes ./crier-data), and returns what it
// printed up to its last line of advice, and its URL.
func demoServe(t *testing.T, args ...string) (printed []string, base string) {
	t.Helper()
	t.Chdir(t.TempDir())
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	out, w := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	errOut := &strings.Builder{}
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", addr}, args...), env{stdout: w, stderr: errOut, now: time.Now})
		w.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("crier serve exit %d\n%s", code, errOut.String())
		}
	})
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		printed = append(printed, lines.Text())
		if strings.HasPrefix(lines.Text(), "  3. ") || strings.HasPrefix(lines.Text(), "crier is serving") && len(args) > 0 {
			break // the last line of the demo's advice, or a configuration's one line
		}
	}
	if len(printed) == 0 {
		t.Fatalf("crier serve printed nothing\n%s", errOut.String())
	}
	go io.Copy(io.Discard, out)
	return printed, "http://" + addr
}

// crier serve with no configuration prints a sign-in link for each of
// its five demo users, in a terminal's worth of lines; a link opens a page
// that names the person and signs no one in; posting its token signs in,
// and the dashboard greets them. The examples built in are offered.
func TestServeOnTheEmbeddedDefaultPrintsDemoLinks(t *testing.T) {
	printed, base := demoServe(t)
	if len(printed) > 20 {
		t.Errorf("%d lines printed, want at most 20:\n%s", len(printed), strings.Join(printed, "\n"))
	}
	text := strings.Join(printed, "\n")
	if strings.Contains(text, "admin token") {
		t.Errorf("a one-time admin token on the embedded default:\n%s", text)
	}
	link := regexp.MustCompile(`^    (http://\S+/login\?as=(crier_\S+))$`)
	type demo struct{ who, link, token string }
	var cast []demo
	for i, l := range printed {
		if m := link.FindStringSubmatch(l); m != nil && i > 0 {
			cast = append(cast, demo{printed[i-1], m[1], m[2]})
		}
	}
	if len(cast) != 5 {
		t.Fatalf("%d sign-in links, want 5:\n%s", len(cast), text)
	}
	for i, want := range []string{"Priya Shah, planner", "Alex Morgan, comms officer", "Sam Patel, comms officer", "Jo Evans, exercise lead",
		"Laura Chen, comms officer of Northbridge Police"} {
		if !strings.Contains(cast[i].who, want) || !strings.HasPrefix(cast[i].link, base+"/login?as=") {
			t.Errorf("user %d: %q %s, want %q at %s", i, cast[i].who, cast[i].link, want, base)
		}
	}
	if cast[1].token == cast[2].token {
		t.Error("two demo users share a token")
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	read := func(resp *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	alex := cast[1]
	code, page := read(browser.Get(alex.link))
	if code != http.StatusOK || !strings.Contains(page, "Sign in as Alex Morgan") || !strings.Contains(page, "comms officer") ||
		!strings.Contains(page, `value="`+alex.token+`"`) {
		t.Fatalf("the link's page: %d\n%s", code, page)
	}
	if u, _ := url.Parse(base); len(jar.Cookies(u)) != 0 {
		t.Errorf("opening the link signed in: %v", jar.Cookies(u))
	}
	code, page = read(browser.PostForm(base+"/login", url.Values{"token": {alex.token}, "next": {"/"}}))
	if code != http.StatusOK || !strings.Contains(page, "Sign out Alex Morgan") || !strings.Contains(page, "Flood warning") {
		t.Errorf("signed in by the link's button: %d\n%s", code, page)
	}
	code, page = read(http.Get(base + "/login?as=crier_" + strings.Repeat("x", 43)))
	if code != http.StatusUnauthorized || !strings.Contains(page, "That sign-in link is not one crier knows") {
		t.Errorf("a link of another run: %d\n%s", code, page)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/runbooks", nil)
	req.Header.Set("Authorization", "Bearer "+cast[0].token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []map[string]any
	json.NewDecoder(resp.Body).Decode(&list)
	if resp.StatusCode != http.StatusOK || len(list) != 6 || list[2]["file"] != "examples/flood-warning.yaml" {
		t.Errorf("the built-in examples, to the planner's token: %d %v", resp.StatusCode, list)
	}
}

// With a configuration, even the smallest, there are no demo users: no
// links, and a configuration without users gets its one-time admin token.
func TestServeWithAConfigurationHasNoDemoUsers(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "crier.yaml", "version: 1\ndata_dir: "+dir+"/data\n")
	printed, _ := demoServe(t, "--config", cfg)
	text := strings.Join(printed, "\n")
	if strings.Contains(text, "/login?as=") || strings.Contains(text, "Demo") || strings.Contains(text, "Alex Morgan") {
		t.Errorf("demo users with a configuration:\n%s", text)
	}
	if !strings.Contains(text, "admin token for this run") {
		t.Errorf("no one-time admin token for a configuration without users:\n%s", text)
	}
}

// An address in use is said in plain words, with the way round it.
func TestServeOnAnAddressInUse(t *testing.T) {
	t.Chdir(t.TempDir())
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var out, errOut strings.Builder
	code := run(context.Background(), []string{"serve", "--listen", taken.Addr().String()}, env{stdout: &out, stderr: &errOut, now: time.Now})
	if code != exitError || !strings.Contains(errOut.String(), "something else (another crier?) is using it") ||
		!strings.Contains(errOut.String(), "--listen 127.0.0.1:8081") || strings.Contains(errOut.String(), "bind:") {
		t.Errorf("exit %d\n%s", code, errOut.String())
	}
	if strings.Contains(out.String(), "/login?as=") {
		t.Errorf("links printed for a crier that is not serving:\n%s", out.String())
	}
}
