package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/crierhq/crier/server"
)

// client talks to a running crier serve for the commands that act on it,
// with the token in CRIER_TOKEN.
type client struct {
	server, token string
	http          *http.Client
}

// clientFlags adds --server to a command's flags.
func clientFlags(flags *flag.FlagSet) *string {
	def := os.Getenv("CRIER_SERVER")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	return flags.String("server", def, "the crier server (or CRIER_SERVER)")
}

func newClient(name, server string, e env) (*client, bool) {
	token := os.Getenv("CRIER_TOKEN")
	if token == "" {
		fmt.Fprintf(e.stderr, "crier %s: set CRIER_TOKEN to your API token\n", name)
		return nil, false
	}
	return &client{server: strings.TrimSuffix(server, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}, true
}

// call sends a request and decodes a JSON answer into out; an error
// answer becomes an error saying what the server said.
func (c *client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if stateChanging(method) {
		req.Header.Set("Idempotency-Key", newIdempotencyKey())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.server, err)
	}
	defer resp.Body.Close()
	if w, ok := out.(io.Writer); ok && resp.StatusCode < 300 { // a report: however long
		_, err = io.Copy(w, resp.Body)
		return err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return refusal{resp.StatusCode, e.Error}
		}
		return refusal{resp.StatusCode, "the server answered " + resp.Status}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// stateChanging reports whether a request with this method may change something
// on the server: every method but GET, HEAD and OPTIONS.
func stateChanging(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// newIdempotencyKey is a fresh random key for one action, as a Structured
// Fields string: the server carries out requests with the same key once,
// so a retry of the action must send the same key again.
func newIdempotencyKey() string { return `"` + rand.Text() + `"` }

// download streams a snapshot into w, however long it takes, and checks
// it against the SHA-256 the server sends after it.
func (c *client) download(ctx context.Context, path string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := (&http.Client{}).Do(req) // no overall timeout: a big record takes a while
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e)
		return refusal{resp.StatusCode, cmp.Or(e.Error, "the server answered "+resp.Status)}
	}
	sum := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, sum), resp.Body); err != nil {
		return fmt.Errorf("the snapshot was cut short: %w", err)
	}
	if want := resp.Trailer.Get(server.SnapshotSumHeader); want != hex.EncodeToString(sum.Sum(nil)) {
		return fmt.Errorf("the snapshot arrived, but not as the server sent it (its SHA-256 does not match): nothing was saved")
	}
	return nil
}

// refusal is the server's answer to a request it did not carry out.
type refusal struct {
	status int
	msg    string
}

func (r refusal) Error() string { return r.msg }

// isNotFound reports whether the server said there is no such thing.
func isNotFound(err error) bool {
	var r refusal
	return errors.As(err, &r) && r.status == http.StatusNotFound
}

// idPath puts an id with slashes in a path.
func idPath(id string) string { return url.PathEscape(id) }

// clientCommand runs one client command: flags, exactly one argument, the
// call. do returns what to print.
func clientCommand(ctx context.Context, e env, name, synopsis, about string, args []string,
	setup func(*flag.FlagSet), do func(context.Context, *client, string) (string, error)) int {
	flags := newFlags(name, "[--server URL] "+synopsis, about+"\nThe token is read from CRIER_TOKEN.")
	server := clientFlags(flags)
	if setup != nil {
		setup(flags)
	}
	rest, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	want := 1
	if synopsis == "" { // a command about the server itself
		want, rest = 0, append(rest, "")
	}
	if len(rest) != 1 {
		if want == 0 {
			fmt.Fprintf(e.stderr, "crier %s: takes no arguments\n", name)
		} else {
			fmt.Fprintf(e.stderr, "crier %s: give one %s\n", name, strings.Fields(synopsis)[len(strings.Fields(synopsis))-1])
		}
		return exitUsage
	}
	c, ok := newClient(name, *server, e)
	if !ok {
		return exitUsage
	}
	out, err := do(ctx, c, rest[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "crier %s: %v\n", name, err)
		return exitError
	}
	fmt.Fprint(e.stdout, out)
	return exitOK
}
