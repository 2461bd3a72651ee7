package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// conn is one open SMTP session, greeted, encrypted and logged in.
type conn struct {
	client *smtp.Client
	// raw is the network connection under client: its deadline bounds
	// each send, and setting it in the past stops a send whose context
	// ends.
	raw        net.Conn
	pipelining bool // the server takes several commands before replying
	chunking   bool // the server takes content with BDAT (RFC 3030)
	smtputf8   bool // the server takes addresses in UTF-8
	used       bool // it has carried a send, so may have gone stale since
}

// longAgo is a deadline that has passed: I/O with it fails at once.
var longAgo = time.Unix(1, 0)

// quit says goodbye to the server and closes the connection.
func (c *conn) quit(timeout time.Duration) error {
	_ = c.raw.SetDeadline(time.Now().Add(timeout))
	err := c.client.Quit()
	_ = c.raw.Close()
	return err
}

// options are go-mail's settings for Config; dial, if not nil, opens the
// network connection.
func (n *Notifier) options(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{gomail.WithTimeout(n.cfg.Timeout), gomail.WithTLSConfig(n.tlsConfig)}
	switch n.cfg.TLS {
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case ImplicitTLS:
		// dial does the TLS handshake, so go-mail must not try STARTTLS.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	opts = append(opts, gomail.WithPort(n.cfg.Port))
	if n.cfg.Username != "" {
		// go-mail's PLAIN and LOGIN refuse to send the password over an
		// unencrypted connection to anywhere but this machine.
		opts = append(opts, gomail.WithUsername(n.cfg.Username), gomail.WithPassword(n.cfg.Password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	if dial != nil {
		opts = append(opts, gomail.WithDialContextFunc(dial))
	}
	return opts
}

// dial opens a new connection: TCP, TLS as configured, EHLO and AUTH, all
// through go-mail. A failure with a 5xx reply (a refused login, say) is
// permanent; any other is temporary.
func (n *Notifier) dial(ctx context.Context) (*conn, *failure) {
	var raw net.Conn
	var stop func() bool
	open := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{}
		var c net.Conn
		var err error
		if n.cfg.TLS == ImplicitTLS {
			c, err = (&tls.Dialer{NetDialer: d, Config: n.tlsConfig}).DialContext(dctx, network, addr)
		} else {
			c, err = d.DialContext(dctx, network, addr)
		}
		if err == nil {
			raw = c
			// go-mail bounds the greeting, STARTTLS and AUTH by Timeout
			// only: make them stop with ctx as well.
			stop = context.AfterFunc(ctx, func() { _ = c.SetDeadline(longAgo) })
		}
		return c, err
	}
	mc, err := gomail.NewClient(n.cfg.Host, n.options(open)...)
	if err != nil {
		return nil, &failure{what: "connecting to " + n.server, err: err}
	}
	client, err := mc.DialToSMTPClientWithContext(ctx)
	if stop != nil && !stop() {
		_ = raw.Close()
		return nil, stopped(ctx)
	}
	if err != nil {
		if raw != nil {
			_ = raw.Close() // go-mail leaves it open when EHLO, STARTTLS or AUTH fails
		}
		var reply *textproto.Error
		permanent := errors.As(err, &reply) && reply.Code >= 500
		return nil, &failure{what: "connecting to " + n.server, retry: !permanent, err: err}
	}
	pipelining, _ := client.Extension("PIPELINING")
	smtputf8, _ := client.Extension("SMTPUTF8")
	chunking, _ := client.Extension("CHUNKING")
	return &conn{client: client, raw: raw, pipelining: pipelining, chunking: chunking, smtputf8: smtputf8}, nil
}

// acquire takes an idle connection, or dials one if fewer than
// Connections are open, or waits for one to come free.
func (n *Notifier) acquire(ctx context.Context) (*conn, *failure) {
	if ctx.Err() != nil {
		return nil, stopped(ctx)
	}
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return nil, &failure{what: "not sent", retry: true, err: errors.New("the email notifier is closed")}
	}
	// An idle connection first, so that sends one after another share one.
	select {
	case c := <-n.idle:
		return c, nil
	default:
	}
	select {
	case c := <-n.idle:
		return c, nil
	case <-n.free:
		c, f := n.dial(ctx)
		if f != nil {
			n.free <- struct{}{}
			return nil, f
		}
		return c, nil
	case <-ctx.Done():
		return nil, stopped(ctx)
	}
}

// release gives c back for the next send, or closes it if it is not to be
// kept or the notifier is closed.
func (n *Notifier) release(c *conn, keep bool) {
	if !keep {
		_ = c.raw.Close()
		n.free <- struct{}{}
		return
	}
	c.used = true
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		_ = c.quit(n.cfg.Timeout)
		n.free <- struct{}{}
		return
	}
	n.idle <- c // never blocks: no more than cap(idle) connections exist
	n.mu.Unlock()
}

// stopped is the failure of a send whose context ended.
func stopped(ctx context.Context) *failure {
	return &failure{what: "stopped before the server confirmed it", retry: true, err: context.Cause(ctx)}
}

// failure is what went wrong for one recipient.
type failure struct {
	what  string // what failed, in words: "mail.council.gov.uk refused the recipient"
	retry bool
	err   error
}

// report names the recipient in f's error, and never the password.
func (n *Notifier) report(addr string, f *failure) error {
	err := fmt.Errorf("email to %s: %s: %w", addr, f.what, f.err)
	if p := n.cfg.Password; p != "" && strings.Contains(err.Error(), p) {
		return errors.New(strings.ReplaceAll(err.Error(), p, "[password]"))
	}
	return err
}
