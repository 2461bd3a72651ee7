package config

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// testEnv is the environment the testdata files are checked in.
var testEnv = map[string]string{
	"SLACK_BOT_TOKEN":        "xoxb-test-slack-bot-token-0001",
	"SLACK_SIGNING_SECRET":   "test-slack-signing-secret-0001",
	"SMTP_USERNAME":          "crier@northbridge.gov.uk",
	"SMTP_PASSWORD":          "test-smtp-password-0001",
	"NOTIFY_API_KEY":         "northbridge_live-11111111-2222-3333-4444-555555555555-66666666-7777-8888-9999-000000000000",
	"WEBHOOK_SIGNING_SECRET": "test-webhook-signing-secret-0001",
	"SAM_TOKEN":              "test-sam-patel-api-token-0001",
	"RAE_TOKEN":              "test-rae-moss-api-token-0001",
	"SHORT_TOKEN":            "tooshort",
	"EMPTY_VAR":              "",
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

var markerRE = regexp.MustCompile(`\s*# (want|warn): `)

// marker is one "# want: TEXT" (an error) or "# warn: TEXT" (a warning).
type marker struct {
	sev  runbooks.Severity
	text string
}

// markers reads the markers of each line of a testdata file.
func markers(t *testing.T, data []byte) map[int][]marker {
	t.Helper()
	out := map[int][]marker{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		locs := markerRE.FindAllStringSubmatchIndex(text, -1)
		for i, loc := range locs {
			end := len(text)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			sev := runbooks.SeverityError
			if text[loc[2]:loc[3]] == "warn" {
				sev = runbooks.SeverityWarning
			}
			out[line] = append(out[line], marker{sev, text[loc[1]:end]})
		}
	}
	return out
}

// TestBadConfigs checks every testdata/*.bad.yaml file. Each line that
// should carry an error ends with "# want: TEXT", one that should carry a
// warning with "# warn: TEXT"; the test fails unless every diagnostic is on
// a line that expects it and every marker is met.
func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yaml files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			wants := markers(t, data)
			_, _, err = Parse(file, data, lookupIn(testEnv))
			var list runbooks.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse returned %v, want an ErrorList", err)
			}
			met := map[string]bool{}
			for _, d := range list {
				if d.File != file || d.Line < 1 || d.Column < 1 {
					t.Errorf("badly located: %s", d)
				}
				matched := false
				for i, w := range wants[d.Line] {
					if w.sev == d.Severity && (strings.Contains(d.Message, w.text) || strings.Contains(d.String(), w.text)) {
						matched = true
						met[fmt.Sprint(d.Line, i)] = true
					}
				}
				if !matched {
					t.Errorf("unexpected %s: %s", d.Severity, d)
				}
			}
			for line, ws := range wants {
				for i, w := range ws {
					if !met[fmt.Sprint(line, i)] {
						t.Errorf("line %d: no %s containing %q; got:\n%v", line, w.sev, w.text, list)
					}
				}
			}
		})
	}
}

// envFor supplies every variable a file references, each with a value of
// the right shape.
func envFor(data []byte) map[string]string {
	env := map[string]string{}
	for _, m := range envRefRE.FindAllStringSubmatch(string(data), -1) {
		env[m[1]] = "test-value-for-" + strings.ToLower(m[1])
	}
	env["NOTIFY_API_KEY"] = testEnv["NOTIFY_API_KEY"]
	return env
}

func TestGoodConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	for _, file := range append(files, "../examples/crier.yaml") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			c, warns, err := Load(file, lookupIn(envFor(data)))
			if err != nil {
				t.Fatalf("want valid, got:\n%v", err)
			}
			if len(warns) > 0 {
				t.Errorf("unexpected warnings: %v", warns)
			}
			if c.File() != file {
				t.Errorf("File() = %q", c.File())
			}
		})
	}
}

func TestExample(t *testing.T) {
	data, err := os.ReadFile("../examples/crier.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := envFor(data)
	c, _, err := Parse("crier.yaml", data, lookupIn(env))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Types(), []string{"slack", "teams", "email", "sms", "webhook", "log"}; !slices.Equal(got, want) {
		t.Errorf("Types() = %v, want %v", got, want)
	}
	if c.OutboxOnly() || c.Notifiers.Outbox != nil {
		t.Error("the example configures every notifier, and no outbox")
	}
	if got := c.Notifiers.Slack.Token.Reveal(); got != env["SLACK_BOT_TOKEN"] {
		t.Errorf("slack token = %q, want the variable's value", got)
	}
	if c.Notifiers.Slack.APIURL != DefaultSlackAPIURL || c.Notifiers.SMS.BaseURL != DefaultSMSBaseURL {
		t.Errorf("defaults not filled in: %q %q", c.Notifiers.Slack.APIURL, c.Notifiers.SMS.BaseURL)
	}
	if c.Location().String() != "Europe/London" {
		t.Errorf("Location() = %v", c.Location())
	}
	peers := c.Cluster.PeerList()
	if len(peers) != 2 || peers[1] != (Peer{ID: "crier-3", Addr: "10.20.0.13:8300"}) {
		t.Errorf("PeerList() = %v", peers)
	}
	if c.Delivery.Deadline.D != 30*time.Minute || c.Delivery.Workers != 16 {
		t.Errorf("delivery = %+v", c.Delivery)
	}
}

func TestDefault(t *testing.T) {
	d := Default()
	want := &Config{
		Version: 1, Timezone: "Europe/London", DataDir: "./crier-data",
		Server:    Server{Listen: "127.0.0.1:8080", PublicURL: ""},
		Notifiers: Notifiers{Outbox: &Outbox{Dir: "./crier-data/outbox"}},
		Delivery:  Delivery{Workers: 16, Deadline: runbooks.Duration{D: 30 * time.Minute, Text: "30m"}},
	}
	want.refs, want.location = map[string]string{}, d.location
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Default() =\n%+v\nwant\n%+v", d, want)
	}
	if d.Location().String() != "Europe/London" {
		t.Errorf("Location() = %v", d.Location())
	}
	if !d.OutboxOnly() || !slices.Equal(d.Types(), []string{"log"}) {
		t.Errorf("OutboxOnly() = %v, Types() = %v", d.OutboxOnly(), d.Types())
	}
	for _, typ := range []string{"slack", "teams", "email", "sms", "webhook", "log"} {
		if !d.Handles(typ) {
			t.Errorf("the default does not handle %s", typ)
		}
	}
	// The smallest file is the embedded default.
	parsed, warns, err := Parse("crier.yaml", []byte("version: 1\n"), nil)
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	parsed.file = ""
	if !reflect.DeepEqual(parsed, d) {
		t.Errorf("version: 1 alone =\n%+v\nwant Default()\n%+v", parsed, d)
	}
}

func TestDefaultsOfSections(t *testing.T) {
	src := `version: 1
data_dir: /var/lib/crier/
notifiers:
  slack: {token: "${SLACK_BOT_TOKEN}", api_url: "http://127.0.0.1:9999/api"}
  email: {host: smtp.northbridge.gov.uk, from: crier@northbridge.gov.uk}
  sms: {api_key: "${NOTIFY_API_KEY}", template_id: 65d72bac-72c5-4381-9759-4026d32cd959}
  outbox: {}
`
	c, warns, err := Parse("c.yaml", []byte(src), lookupIn(testEnv))
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	n := c.Notifiers
	if n.Slack.APIURL != "http://127.0.0.1:9999/api/" || n.Slack.PerChannelRate != 1 || n.Slack.WorkspaceRate != 8 {
		t.Errorf("slack = %+v", *n.Slack)
	}
	if e := n.Email; e.Port != 587 || e.TLS != "starttls" || e.MaxRecipientsPerMessage != 50 || e.MessagesPerMinute != 0 || e.Connections != 4 {
		t.Errorf("email = %+v", *e)
	}
	if s := n.SMS; s.BaseURL != DefaultSMSBaseURL || s.MessagesPerMinute != 3000 {
		t.Errorf("sms = %+v", *s)
	}
	if n.Outbox.Dir != "/var/lib/crier/outbox" {
		t.Errorf("outbox dir = %q", n.Outbox.Dir)
	}
	if c.OutboxOnly() || !c.Handles("sms") || c.Handles("teams") || c.Handles("webhook") || !c.Handles("log") {
		t.Errorf("OutboxOnly() = %v, Types() = %v", c.OutboxOnly(), c.Types())
	}
}

func TestOutboxOnly(t *testing.T) {
	for src, want := range map[string]bool{
		"version: 1\n":                                     true,
		"version: 1\nnotifiers: {}\n":                      true,
		"version: 1\nnotifiers: {log: {}}\n":               true,
		"version: 1\nnotifiers: {outbox: {dir: out}}\n":    true,
		"version: 1\nnotifiers: {teams: {}}\n":             false,
		"version: 1\nnotifiers: {teams: {}, outbox: {}}\n": false,
	} {
		c, _, err := Parse("c.yaml", []byte(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.OutboxOnly() != want || c.Handles("slack") != want {
			t.Errorf("%q: OutboxOnly() = %v, Handles(slack) = %v, want %v", src, c.OutboxOnly(), c.Handles("slack"), want)
		}
	}
}

func TestReferences(t *testing.T) {
	src := "version: 1\nserver:\n  public_url: https://${CRIER_HOST}:${CRIER_PORT}/crier\ndata_dir: ${STATE}\n"
	c, _, err := Parse("c.yaml", []byte(src), lookupIn(map[string]string{"CRIER_HOST": "crier.northbridge.gov.uk", "CRIER_PORT": "8443", "STATE": "/srv/crier"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.PublicURL != "https://crier.northbridge.gov.uk:8443/crier" || c.DataDir != "/srv/crier" {
		t.Errorf("got %q and %q", c.Server.PublicURL, c.DataDir)
	}
	if c.Notifiers.Outbox.Dir != "/srv/crier/outbox" {
		t.Errorf("the outbox follows data_dir as resolved: %q", c.Notifiers.Outbox.Dir)
	}
	// With no lookup, every reference is unset.
	_, _, err = Parse("c.yaml", []byte(src), nil)
	if err == nil || !strings.Contains(err.Error(), "c.yaml:3:15: server.public_url: public_url needs the environment variable CRIER_HOST, which is not set") {
		t.Errorf("got %v", err)
	}
}

// TestSecretsNeverShown: no message repeats a value that came from the
// environment, and a Config prints no secret in any format.
func TestSecretsNeverShown(t *testing.T) {
	const secret = "hunter2"
	env := map[string]string{
		"SMTP_FROM":      secret + " not an address",
		"SMTP_HOST":      secret + ":25",
		"SMTP_PASSWORD":  secret + "-password",
		"LISTEN":         secret,
		"PUBLIC_URL":     secret + "://x",
		"SLACK_API_URL":  "ftp://" + secret,
		"CHANNEL":        secret + " channel",
		"NOTIFY_API_KEY": secret + "-key",
		"TEMPLATE":       secret + "-template",
		"SAM_TOKEN":      secret,
		"SAM_SHA":        secret,
		"ROLE":           secret + "-role",
		"PEER":           secret + "@nowhere",
		"RAFT":           secret,
		"WEBHOOK_SECRET": secret,
		"ZONE":           "Europe/" + secret,
	}
	src := `version: 1
timezone: ${ZONE}
server: {listen: "${LISTEN}", public_url: "${PUBLIC_URL}"}
notifiers:
  slack: {token: "${SAM_TOKEN}", api_url: "${SLACK_API_URL}", approvals_channel: "${CHANNEL}"}
  email: {host: "${SMTP_HOST}", from: "${SMTP_FROM}", password: "${SMTP_PASSWORD}"}
  sms: {api_key: "${NOTIFY_API_KEY}", template_id: "${TEMPLATE}"}
  webhook: {signing_secret: "${WEBHOOK_SECRET}"}
users:
  - {name: Sam, roles: ["${ROLE}"], token: "${SAM_TOKEN}"}
  - {name: Jo, roles: [viewer], token_sha256: "${SAM_SHA}"}
cluster: {node_id: n1, raft_addr: "${RAFT}", peers: ["${PEER}"]}
`
	_, _, err := Parse("c.yaml", []byte(src), lookupIn(env))
	var list runbooks.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want errors", err)
	}
	if len(list) < len(env)-1 {
		t.Errorf("want an error or warning for nearly every value, got %d:\n%v", len(list), list)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("a message repeats a value from the environment:\n%v", err)
	}

	// A good configuration prints no secret.
	good := "version: 1\nnotifiers:\n  slack: {token: \"${T}\", signing_secret: \"${T}\"}\n  email: {host: h.example, from: a@b.example, username: u, password: \"${T}\"}\n" +
		"  sms: {api_key: \"${K}\", template_id: 65d72bac-72c5-4381-9759-4026d32cd959}\n  webhook: {signing_secret: \"${T}\"}\nusers:\n  - {name: Sam, roles: [admin], token: \"${T}\"}\n"
	const token = "s3cr3t-value-never-printed"
	c, _, err := Parse("c.yaml", []byte(good), lookupIn(map[string]string{"T": token, "K": testEnv["NOTIFY_API_KEY"]}))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(c)
	printed := string(js)
	// Inside other values, with verbs right and wrong for each type.
	type holder struct {
		C *Config
		N *Notifiers
		U *User
	}
	for _, v := range []any{c, *c, c.Notifiers, &c.Notifiers, c.Notifiers.Slack, *c.Notifiers.Slack, c.Notifiers.Email,
		c.Notifiers.SMS, c.Notifiers.Webhook, c.Users, &c.Users[0], holder{c, &c.Notifiers, &c.Users[0]}, []any{c}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%f", "%10.3s"} {
			printed += fmt.Sprintf(" "+verb, v)
		}
	}
	if strings.Contains(printed, token) || strings.Contains(printed, "66666666-7777") || strings.Contains(strings.ToLower(printed), hex.EncodeToString([]byte(token))) {
		t.Errorf("a secret is printed: %s", printed)
	}
	if !strings.Contains(printed, "[redacted]") {
		t.Errorf("secrets should print as [redacted]: %s", printed)
	}
	if c.Users[0].Token.Reveal() != token || c.Notifiers.Email.Password.Reveal() != token {
		t.Error("Reveal does not give the secret")
	}
}

func TestTokenDigest(t *testing.T) {
	sum := sha256.Sum256([]byte("test-sam-patel-api-token-0001"))
	byToken := User{Token: "test-sam-patel-api-token-0001"}
	byHash := User{TokenSHA256: strings.ToUpper(hex.EncodeToString(sum[:]))}
	if byToken.TokenDigest() != sum || byHash.TokenDigest() != sum {
		t.Error("TokenDigest differs between token and token_sha256")
	}
	if !(&User{Roles: []string{"comms"}}).HasRole(RoleComms) || (&User{}).HasRole(RoleAdmin) {
		t.Error("HasRole")
	}
}

// TestWholeFileErrors covers input that has no line to point at.
func TestWholeFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		line            int
	}{
		{"empty", "", "file is empty; expected a configuration starting with version: 1", 1},
		{"blank", "  \n\n", "file is empty", 1},
		{"comments only", "# nothing\n", "file has no YAML content; expected a configuration", 1},
		{"two documents", "version: 1\n---\nversion: 1\n", "put each configuration in its own file", 2},
		{"too big", "version: 1\n#" + strings.Repeat("x", runbooks.MaxFileSize), "file is larger than 1 MiB", 1},
		{"not utf-8", "version: 1\ndata_dir: \xff\n", "not UTF-8", 1},
		{"self alias", "version: 1\nrunbooks: &r [*r]\n", "refers to a value that contains it", 2},
		{"tab", "version: 1\nserver:\n\tlisten: x\n", "indented with a tab character", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse("f.yaml", []byte(tc.src), nil)
			var list runbooks.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			if len(list) != 1 || !strings.Contains(list[0].Message, tc.want) || list[0].Line != tc.line {
				t.Errorf("want one error at line %d containing %q, got:\n%v", tc.line, tc.want, list)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load("testdata/no-such-file.yaml", nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v", err)
	}
}

// Without public_url the links crier sends follow the address it listens
// on (an address on every interface reached on 127.0.0.1); with one, they
// are under it.
func TestLinkBaseFollowsTheListenAddressWithoutAPublicURL(t *testing.T) {
	for _, c := range []struct {
		server Server
		addr   string
		want   string
	}{
		{Server{Listen: "127.0.0.1:18716"}, "", "http://127.0.0.1:18716"},
		{Server{Listen: "127.0.0.1:0"}, "127.0.0.1:40123", "http://127.0.0.1:40123"},
		{Server{Listen: ":9090"}, "", "http://127.0.0.1:9090"},
		{Server{Listen: "[::]:9090"}, "", "http://127.0.0.1:9090"},
		{Server{Listen: "127.0.0.1:18716", PublicURL: "https://crier.northbridge.gov.uk/crier/"}, "127.0.0.1:18716", "https://crier.northbridge.gov.uk/crier"},
	} {
		if got := c.server.LinkBase(c.addr); got != c.want {
			t.Errorf("%+v listening on %q: links under %q, want %q", c.server, c.addr, got, c.want)
		}
	}
}
