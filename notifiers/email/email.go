// Package email sends messages by email through an SMTP relay, such as a
// council's Exchange or Microsoft 365 connector.
//
// One content to many people goes as one email: the notifier is a
// notifiers.Batcher, and the recipients of a batch are named in the SMTP
// envelope only (Bcc semantics), so no recipient sees who else was told.
// The To header of a batch is the sender's own address; an email to one
// person has that person in To.
//
// Each recipient gets its own outcome. The notifier drives the SMTP
// transaction itself rather than through go-mail's Send, which gives up on
// the whole envelope when one recipient is refused: here a refused mailbox
// fails only its own message (5xx: permanent; 4xx: try again), the others
// are still sent, and the server's answer to the message applies to every
// recipient it accepted. An address that does not parse fails at once and
// never reaches the server. A connection that breaks fails the recipients
// it carried as temporary.
//
// The same content to the same delivery group carries the same
// Message-ID on every try, so a receiving system that sees a retry of an
// email it already has can drop the copy. A message with its own
// acknowledgement link is personalised: it is an email of its own, with a
// Message-ID of its own delivery. The personalised messages of one batch
// go as a series over one connection: where the relay offers PIPELINING,
// each email's commands travel with the content of the one before, one
// round trip per email.
//
// go-mail opens the connections (STARTTLS or implicit TLS, AUTH); the
// email itself is written with the standard library's MIME packages:
// headers with RFC 2047 encoded words for anything not ASCII, folded to
// lines of 78 characters, and multipart/alternative with quoted-printable
// text and HTML parts, the HTML escaping every value (template values are
// not markup). In an exercise both parts open with ExerciseBanner.
//
// Every email is marked as sent by a machine (Auto-Submitted:
// auto-generated, and X-Auto-Response-Suppress: All for Exchange) so
// out-of-office replies do not flood the sending mailbox in a crisis; it
// names its runbook in List-Id, and its activation (and, for one
// recipient, its delivery) in X-Crier- headers.
//
// Connections are kept open and reused between sends, at most
// Config.Connections at once; one that breaks is dropped and a new one is
// dialled on the next send.
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crierhq/crier/notifiers"
	gomail "github.com/wneessen/go-mail"
)

// The TLS modes of Config.TLS.
const (
	StartTLS    = "starttls" // plain connection upgraded with STARTTLS, which the server must offer (port 587)
	ImplicitTLS = "tls"      // TLS from the first byte (port 465)
	NoTLS       = "none"     // no encryption: only for a relay on a trusted network (port 25)
)

// Defaults for the zero values of Config.
const (
	DefaultMaxRecipientsPerMessage = 50
	DefaultConnections             = 4
	DefaultTimeout                 = 30 * time.Second
)

// Config says how to reach the SMTP relay and whom the emails are from.
type Config struct {
	Host string
	// Port is the relay's port: 0 for the usual one of the TLS mode
	// (587, 465 or 25).
	Port int
	// TLS is StartTLS (the default when empty), ImplicitTLS or NoTLS.
	TLS string
	// Username, when set, logs in with SMTP AUTH (SCRAM-SHA-256, PLAIN or
	// LOGIN, whichever the server offers first in that order). The
	// password is only ever sent over TLS or to this machine.
	Username string
	Password string
	// From is the sender, with a name if wanted:
	// "Emergency Communications <emergency@example.gov.uk>".
	From string
	// MaxRecipientsPerMessage is the most recipients one email goes to
	// (DefaultMaxRecipientsPerMessage when 0). Many relays refuse more
	// than 100.
	MaxRecipientsPerMessage int
	// Connections is the most SMTP connections open at once
	// (DefaultConnections when 0).
	Connections int
	// TLSConfig, when set, is used for TLS (its ServerName defaults to
	// Host), for example to trust a council's own certificate authority.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each exchange with the server
	// (DefaultTimeout when 0).
	Timeout time.Duration
	// Now dates each email (time.Now when nil).
	Now func() time.Time
	// RelayLimited says the relay takes only so many emails a minute, so
	// each must be paced on its own: personalised emails are then not
	// sent together in a series.
	RelayLimited bool
}

// Notifier sends email. It is safe for concurrent use; Close it when done
// to close its connections.
type Notifier struct {
	cfg       Config
	from      *mail.Address
	domain    string // of From: the right-hand side of Message-IDs
	server    string // host:port, for errors
	tlsConfig *tls.Config

	// free holds a token for each connection that may still be opened;
	// idle holds the open connections no send is using.
	free chan struct{}
	idle chan *conn

	mu     sync.Mutex
	closed bool
}

var _ notifiers.Batcher = (*Notifier)(nil)

// New checks cfg, fills in its defaults and returns a Notifier. It does
// not connect: the first send does.
func New(cfg Config) (*Notifier, error) {
	if cfg.Host == "" {
		return nil, errors.New("email: no SMTP host given")
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = StartTLS
	case StartTLS, ImplicitTLS, NoTLS:
	default:
		return nil, fmt.Errorf("email: TLS %q is not one of %s, %s or %s", cfg.TLS, StartTLS, ImplicitTLS, NoTLS)
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{StartTLS: 587, ImplicitTLS: 465, NoTLS: 25}[cfg.TLS]
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("email: port %d is not a TCP port (1 to 65535)", cfg.Port)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("email: From %q is not an email address like \"Emergency Communications <emergency@council.gov.uk>\": %v", cfg.From, err)
	}
	// Every email has this header: one that cannot be written fails now,
	// not on every send.
	if err := writeHeader(new(bytes.Buffer), "From", from.String()); err != nil {
		return nil, fmt.Errorf("email: From %q: %w", cfg.From, err)
	}
	at := strings.LastIndexByte(from.Address, '@')
	if at < 0 || at == len(from.Address)-1 {
		return nil, fmt.Errorf("email: From %q has no domain", cfg.From)
	}
	if cfg.Username != "" && cfg.TLS == NoTLS && !loopback(cfg.Host) {
		return nil, fmt.Errorf("email: a username is set but TLS is %s, which would send the password unencrypted to %s; use %s or %s", NoTLS, cfg.Host, StartTLS, ImplicitTLS)
	}
	for _, c := range []struct {
		name string
		v    *int
		def  int
	}{{"MaxRecipientsPerMessage", &cfg.MaxRecipientsPerMessage, DefaultMaxRecipientsPerMessage}, {"Connections", &cfg.Connections, DefaultConnections}} {
		if *c.v < 0 {
			return nil, fmt.Errorf("email: %s is %d; it must be at least 1, or 0 for %d", c.name, *c.v, c.def)
		}
		if *c.v == 0 {
			*c.v = c.def
		}
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("email: Timeout is %s; it must be positive, or 0 for %s", cfg.Timeout, DefaultTimeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	tc := &tls.Config{}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	n := &Notifier{
		cfg:       cfg,
		from:      from,
		domain:    from.Address[at+1:],
		server:    net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		tlsConfig: tc,
		free:      make(chan struct{}, cfg.Connections),
		idle:      make(chan *conn, cfg.Connections),
	}
	for range cfg.Connections {
		n.free <- struct{}{}
	}
	// Catch what go-mail would refuse now rather than on the first send.
	if _, err := gomail.NewClient(cfg.Host, n.options(nil)...); err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return n, nil
}

// loopback reports whether host is this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (n *Notifier) now() time.Time {
	if n.cfg.Now != nil {
		return n.cfg.Now()
	}
	return time.Now()
}

// MaxBatch implements notifiers.Batcher: the most recipients of one email.
func (n *Notifier) MaxBatch() int { return n.cfg.MaxRecipientsPerMessage }

// BatchKey implements notifiers.Batcher: the recipients of one revision of
// one message, in one language, share a key and go as one email. The
// personalised messages of a revision (each with its own AckURL) share a
// key too: each is its own email, but they go in one series over one
// connection, one round trip each — unless the relay is limited, when
// each goes alone to be counted.
func (n *Notifier) BatchKey(m notifiers.Message) string {
	switch {
	case m.AckURL == "":
		return "same " + group(m) + " " + m.Language
	case n.cfg.RelayLimited:
		return ""
	}
	return "personal " + group(m)
}

// Notify implements notifiers.Notifier: a batch of one.
func (n *Notifier) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	r := n.NotifyBatch(ctx, []notifiers.Message{m})[0]
	return r.Retry, r.Err
}

// NotifyBatch implements notifiers.Batcher: it sends each content once to
// all its recipients and returns each message's own outcome, in order.
// Messages that do not share a BatchKey, or more than MaxBatch of them,
// are split into several emails.
func (n *Notifier) NotifyBatch(ctx context.Context, ms []notifiers.Message) []notifiers.Result {
	results := make([]notifiers.Result, len(ms))
	var groups [][]int // messages by content, in order of first appearance
	byContent := map[string]int{}
	for i, m := range ms {
		key := contentHash(m) // the content itself: a batch of mixed content still goes right
		if m.AckURL != "" {
			key = m.Delivery
		}
		g, ok := byContent[key]
		if !ok {
			g = len(groups)
			byContent[key] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	var emails []*email
	for _, idx := range groups {
		for len(idx) > 0 {
			k := min(len(idx), n.cfg.MaxRecipientsPerMessage)
			if e := n.newEmail(ms, idx[:k], results); e != nil {
				emails = append(emails, e)
			}
			idx = idx[k:]
		}
	}
	if len(emails) > 0 {
		n.deliver(ctx, emails)
	}
	for _, e := range emails {
		n.results(e, results)
	}
	return results
}

// Close closes the connections no send is using, and makes those in use
// close when their send ends. Sends after Close fail as temporary.
func (n *Notifier) Close() error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	var errs []error
	for {
		select {
		case c := <-n.idle:
			if err := c.quit(n.cfg.Timeout); err != nil {
				errs = append(errs, fmt.Errorf("email: closing the connection to %s: %w", n.server, err))
			}
			n.free <- struct{}{}
		default:
			return errors.Join(errs...)
		}
	}
}
