package email

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// relay is an SMTP server on 127.0.0.1 for the tests, a stand-in for a
// council's mail relay. It records each email it accepts and answers some
// recipients, by the part of the address before the @, as a real server
// might:
//
//	bad@   550, no such mailbox
//	full@  452, mailbox full
//	busy@  451 the first time it is named, then accepted
//	drop@  the connection is closed instead of an answer
//	slow@  no answer until the test ends (after telling stalled)
type relay struct {
	Host string
	Port int
	// Roots trusts the relay's certificate.
	Roots *x509.CertPool

	username, password string
	discard            bool // throw each email away unread, for benchmarks
	stalled            chan struct{}
	release            chan struct{}
	sessions           sync.WaitGroup // live sessions, to end before the server closes

	mu        sync.Mutex
	envelopes []envelope
	named     map[string]int // how often each recipient was named
	conns     []net.Conn     // every connection accepted
}

// envelope is one email the relay accepted.
type envelope struct {
	From string
	To   []string
	Data string
	TLS  bool
}

// relayMode is how a test relay takes connections.
type relayMode struct {
	tls      string // StartTLS, ImplicitTLS or NoTLS
	username string // when set, AUTH PLAIN is required with password
	password string
	discard  bool
	// noPipelining hides PIPELINING, so the client waits for each reply.
	noPipelining bool
	// noChunking hides CHUNKING, so content goes after DATA.
	noChunking bool
}

// startRelay starts a relay for the test and stops it when the test ends.
func startRelay(t testing.TB, mode relayMode) *relay {
	t.Helper()
	r := &relay{username: mode.username, password: mode.password, discard: mode.discard,
		stalled: make(chan struct{}, 1), release: make(chan struct{}), named: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		r.sessions.Add(1)
		return &session{relay: r, conn: c}, nil
	}))
	s.Domain = "relay.test"
	// RFC 5321 section 4.5.3.1.6: a line is at most 1,000 octets with its
	// CRLF. go-smtp holds content sent after DATA to this (BDAT chunks are
	// not read by lines).
	s.MaxLineLength = 1000
	s.ErrorLog = log.New(io.Discard, "", 0)
	addr := ln.Addr().(*net.TCPAddr)
	r.Host, r.Port = "127.0.0.1", addr.Port
	ln = &relayListener{Listener: ln, relay: r, noPipelining: mode.noPipelining, noChunking: mode.noChunking}
	if mode.tls != NoTLS {
		cert, roots := certificate(t)
		r.Roots = roots
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		if mode.tls == ImplicitTLS {
			ln = tls.NewListener(ln, cfg)
		} else {
			s.TLSConfig = cfg
		}
	}
	go s.Serve(ln)
	t.Cleanup(func() {
		close(r.release)
		// Hang up and let each session end in its own goroutine before
		// the server closes: go-smtp's Close races with a session taking
		// a BDAT chunk.
		ln.Close()
		r.HangUp()
		ended := make(chan struct{})
		go func() { r.sessions.Wait(); close(ended) }()
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Error("the relay's sessions did not end")
		}
		s.Close()
	})
	return r
}

// config is a notifier's Config for the relay.
func (r *relay) config(mode string) Config {
	return Config{Host: r.Host, Port: r.Port, TLS: mode, TLSConfig: &tls.Config{RootCAs: r.Roots},
		From: "Emergency Communications <emergency@northbridge.gov.uk>"}
}

// Envelopes are the emails accepted so far.
func (r *relay) Envelopes() []envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]envelope(nil), r.envelopes...)
}

// Connections is how many connections the relay has accepted.
func (r *relay) Connections() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

// HangUp closes every connection from the relay's side, as a relay does
// with idle ones.
func (r *relay) HangUp() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
}

// relayListener counts the connections the relay accepts, and gives each
// the output a production relay has.
type relayListener struct {
	net.Listener
	relay        *relay
	noPipelining bool
	noChunking   bool
}

func (l *relayListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.relay.mu.Lock()
	l.relay.conns = append(l.relay.conns, c)
	l.relay.mu.Unlock()
	return &relayConn{Conn: c, noPipelining: l.noPipelining, noChunking: l.noChunking}, nil
}

// relayConn holds the relay's replies until it next waits for input, as
// Postfix and Exchange do (RFC 2920 section 3.2): the replies to
// pipelined commands leave together, not one packet each. With
// noPipelining it hides PIPELINING from EHLO, with noChunking CHUNKING
// (cleartext only).
type relayConn struct {
	net.Conn
	noPipelining bool
	noChunking   bool

	mu  sync.Mutex
	out []byte
}

func (c *relayConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	if c.noPipelining {
		p = bytes.ReplaceAll(p, []byte("250-PIPELINING"), []byte("250-X-NO-PIPELINING"))
	}
	if c.noChunking {
		p = bytes.ReplaceAll(p, []byte("CHUNKING\r\n"), []byte("X-NO-CHUNKING\r\n"))
	}
	c.out = append(c.out, p...)
	return n, nil
}

func (c *relayConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.out)
	c.out = c.out[:0]
	return err
}

func (c *relayConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *relayConn) Close() error {
	c.flush()
	return c.Conn.Close()
}

// session is one SMTP session with the relay.
type session struct {
	relay  *relay
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
	// dropped: the connection was closed on the client. go-smtp may still
	// read what the client had pipelined after it; a relay whose
	// connection dropped takes none of it.
	dropped bool
}

func (s *session) AuthMechanisms() []string {
	if s.relay.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.relay.username || password != s.relay.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.relay.username != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	r := s.relay
	if r.discard { // a benchmark: as cheap as can be
		s.to = append(s.to, to)
		return nil
	}
	r.mu.Lock()
	r.named[to]++
	named := r.named[to]
	r.mu.Unlock()
	switch to[:strings.IndexByte(to, '@')] {
	case "bad":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
	case "full":
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}
	case "busy":
		if named == 1 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
		}
	case "drop":
		s.dropped = true
		s.conn.Conn().Close()
		return errors.New("connection dropped")
	case "slow":
		r.stalled <- struct{}{}
		<-r.release
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(rd io.Reader) error {
	if s.dropped {
		return errors.New("connection dropped")
	}
	if s.relay.discard {
		_, err := io.Copy(io.Discard, rd)
		return err
	}
	data, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.relay.mu.Lock()
	s.relay.envelopes = append(s.relay.envelopes, envelope{From: s.from, To: s.to, Data: string(data), TLS: isTLS})
	s.relay.mu.Unlock()
	return nil
}

func (s *session) Reset() {
	s.from, s.to = "", nil
}

func (s *session) Logout() error {
	s.relay.sessions.Done()
	return nil
}

// certificate makes a self-signed certificate for 127.0.0.1 and a pool
// that trusts it.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "relay.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}
