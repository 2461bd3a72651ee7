package email

import (
	"strings"
	"testing"

	"github.com/crierhq/crier/notifiers"
)

func TestNewRejectsBadConfig(t *testing.T) {
	good := Config{Host: "smtp.northbridge.gov.uk", From: "Emergency Communications <emergency@northbridge.gov.uk>"}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no host", func(c *Config) { c.Host = "" }, "no SMTP host"},
		{"unknown TLS mode", func(c *Config) { c.TLS = "ssl" }, `TLS "ssl" is not one of starttls, tls or none`},
		{"port too high", func(c *Config) { c.Port = 70000 }, "port 70000 is not a TCP port"},
		{"negative port", func(c *Config) { c.Port = -25 }, "port -25 is not a TCP port"},
		{"From not an address", func(c *Config) { c.From = "Emergency Communications" }, `From "Emergency Communications" is not an email address`},
		{"no From", func(c *Config) { c.From = "" }, `From "" is not an email address`},
		{"From too long for a header line", func(c *Config) { c.From = strings.Repeat("x", 1000) + "@northbridge.gov.uk" }, "too long for one line"},
		{"password in clear", func(c *Config) { c.TLS, c.Username, c.Password = NoTLS, username, password }, "would send the password unencrypted"},
		{"negative connections", func(c *Config) { c.Connections = -1 }, "Connections is -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	n, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if n.MaxBatch() != 50 || n.cfg.Connections != 4 || n.cfg.Port != 587 || n.cfg.TLS != StartTLS {
		t.Errorf("defaults: max batch %d, connections %d, port %d, TLS %q", n.MaxBatch(), n.cfg.Connections, n.cfg.Port, n.cfg.TLS)
	}
}

func TestBatchKey(t *testing.T) {
	n, err := New(Config{Host: "smtp.northbridge.gov.uk", From: sender})
	if err != nil {
		t.Fatal(err)
	}
	a, b := message(1, "a@northbridge.gov.uk"), message(2, "b@northbridge.gov.uk")
	if n.BatchKey(a) == "" || n.BatchKey(a) != n.BatchKey(b) {
		t.Fatalf("the same content to two recipients: keys %q and %q", n.BatchKey(a), n.BatchKey(b))
	}
	// Content is the same for a message's revision in one language: what
	// tells batches apart. (A batch of mixed content is still split by
	// NotifyBatch: TestMixedContentIsSplit.)
	for name, edit := range map[string]func(*notifiers.Message){
		"message":  func(m *notifiers.Message) { m.Message = "a-000001/rumour-correction/1" },
		"revision": func(m *notifiers.Message) { m.Revision = 3 },
		"language": func(m *notifiers.Message) { m.Language = "cy" },
		"link":     func(m *notifiers.Message) { m.AckURL = "https://crier.northbridge.gov.uk/ack/2" },
	} {
		c := b
		edit(&c)
		if n.BatchKey(c) == n.BatchKey(a) {
			t.Errorf("a different %s shares the batch key", name)
		}
	}
}
