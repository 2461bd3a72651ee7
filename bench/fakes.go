package bench

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// fakeSlack answers chat.postMessage as Slack does, as fast as it can,
// and counts what it was sent; its workspace limit is out of the way.
// While counting each person's (see byChannel), it counts what each
// channel or person was sent.
type fakeSlack struct {
	*httptest.Server
	posts     atomic.Int64
	mu        sync.Mutex
	byChannel map[string]int
}

// countEach starts counting what each channel is sent, from nothing.
func (f *fakeSlack) countEach() {
	f.mu.Lock()
	f.byChannel = map[string]int{}
	f.mu.Unlock()
}

// sentTo is how many messages a channel or person was sent since countEach.
func (f *fakeSlack) sentTo(channel string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byChannel[channel]
}

func newFakeSlack() *fakeSlack {
	f := &fakeSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("channel") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		n := f.posts.Add(1)
		f.mu.Lock()
		if f.byChannel != nil {
			f.byChannel[r.Form.Get("channel")]++
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":"D%s","ts":"1764680000.%06d"}`, r.Form.Get("channel")[1:], n)
	}))
	return f
}

// fakeRelay is a loopback SMTP relay that takes every message and
// counts it, as fast as it can.
type fakeRelay struct {
	Host     string
	Port     int
	messages atomic.Int64
	server   *smtp.Server
	// arrived hears when an email to probe is taken: the address an
	// activation being timed sends to.
	arrived chan time.Time
}

const probe = "duty.officer@northbridge.example"

func newFakeRelay() (*fakeRelay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &fakeRelay{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, arrived: make(chan time.Time, 1)}
	r.server = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{relay: r}, nil }))
	r.server.Domain = "relay.bench"
	r.server.ErrorLog = log.New(io.Discard, "", 0)
	go r.server.Serve(ln)
	return r, nil
}

func (r *fakeRelay) Close() { r.server.Close() }

type relaySession struct {
	relay *fakeRelay
	probe bool
}

func (s *relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.probe = s.probe || to == probe
	return nil
}
func (s *relaySession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.relay.messages.Add(1)
	if s.probe {
		select {
		case s.relay.arrived <- time.Now():
		default:
		}
	}
	return nil
}
func (s *relaySession) Reset()        { s.probe = false }
func (s *relaySession) Logout() error { return nil }
