package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// pipelineWindow is the most commands written before reading their
// replies, when the server offers PIPELINING: enough to save the round
// trips, few enough that neither side's socket buffer fills.
const pipelineWindow = 100

// email is one email of a batch: one content to its recipients.
type email struct {
	rcpts []string        // envelope addresses, each once
	to    []*mail.Address // as parsed, in the same order
	who   [][]int         // for each recipient, the messages to it
	data  []byte
	// What sending found: each recipient's failure (nil: accepted), the
	// server's refusal of the sender, and whether the email is finished.
	fails         []*failure
	senderRefused *textproto.Error
	done          bool
}

// newEmail parses the recipients of the messages ms[idx] share and writes
// the email; a recipient that does not parse fails at once, in results.
func (n *Notifier) newEmail(ms []notifiers.Message, idx []int, results []notifiers.Result) *email {
	e := &email{}
	seen := map[string]int{}
	for _, i := range idx {
		a, err := mail.ParseAddress(ms[i].Target)
		if err == nil && strings.ContainsAny(a.Address, "\r\n") {
			err = errors.New("it holds a line break")
		}
		if err != nil {
			results[i] = notifiers.Result{Err: fmt.Errorf("email: %q is not an email address: %v", ms[i].Target, err)}
			continue
		}
		env := (&mail.Address{Address: a.Address}).String()
		j, ok := seen[env]
		if !ok {
			j = len(e.rcpts)
			seen[env] = j
			e.rcpts = append(e.rcpts, env)
			e.to = append(e.to, a)
			e.who = append(e.who, nil)
		}
		e.who[j] = append(e.who[j], i)
	}
	if len(e.rcpts) == 0 {
		return nil
	}
	e.fails = make([]*failure, len(e.rcpts))
	data, err := n.compose(ms[e.who[0][0]], e.to)
	if err != nil {
		e.failAll(&failure{what: "writing the email", err: err})
		e.done = true
	}
	e.data = data
	return e
}

// results records each recipient's outcome against its messages.
func (n *Notifier) results(e *email, results []notifiers.Result) {
	for j, f := range e.fails {
		if f == nil {
			continue
		}
		for _, i := range e.who[j] {
			results[i] = notifiers.Result{Retry: f.retry, Err: n.report(e.to[j].Address, f)}
		}
	}
}

func (e *email) failAll(f *failure) {
	for i := range e.fails {
		e.fails[i] = f
	}
}

// failAccepted gives f to each recipient that has no failure yet.
func (e *email) failAccepted(f *failure) {
	for i := range e.fails {
		if e.fails[i] == nil {
			e.fails[i] = f
		}
	}
}

func (e *email) accepted() int {
	n := 0
	for _, f := range e.fails {
		if f == nil {
			n++
		}
	}
	return n
}

// deliver sends emails over one pooled connection and fills in each
// recipient's failure, nil for those the server took.
func (n *Notifier) deliver(ctx context.Context, emails []*email) {
	for {
		c, f := n.acquire(ctx)
		if f != nil {
			for _, e := range emails {
				e.failAll(f)
			}
			return
		}
		keep, stale := n.transact(ctx, c, emails)
		reused := c.used
		n.release(c, keep)
		// A connection that was idle may have been closed by the server
		// meanwhile; nothing was sent on it, so try the next, or a new one.
		// This ends: each connection is tried once, and a new one is not
		// reused.
		if stale && reused {
			for _, e := range emails {
				if e.data != nil { // one that could not be written stays failed
					e.fails, e.senderRefused, e.done = make([]*failure, len(e.rcpts)), nil, false
				}
			}
			continue
		}
		return
	}
}

// transact sends emails on c: pipelined when the server offers it, else
// one command and reply at a time. keep says whether c can be used again;
// stale, that it failed before the server answered anything.
func (n *Notifier) transact(ctx context.Context, c *conn, emails []*email) (keep, stale bool) {
	deadline := time.Now().Add(n.cfg.Timeout * time.Duration(len(emails)))
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.raw.SetDeadline(longAgo) })
	defer func() {
		if !stop() {
			keep = false // a reply may be left unread: the session is out of step
		}
	}()
	t := &transaction{n: n, ctx: ctx, c: c}
	if c.pipelining {
		return t.series(emails)
	}
	for k, e := range emails {
		keep, stale = t.stepwise(e)
		if !keep {
			t.fail(emails[k+1:], errors.New("the connection was given up"), false)
			return false, stale && k == 0
		}
	}
	return true, false
}

// transaction is emails on their way over one connection.
type transaction struct {
	n   *Notifier
	ctx context.Context
	c   *conn
}

// stepwise sends one email one command and reply at a time, through
// go-mail's SMTP client. keep and stale are as transact's.
func (t *transaction) stepwise(e *email) (keep, stale bool) {
	defer func() { e.done = true }()
	if e.done {
		return true, false
	}
	client := t.c.client
	if err := client.Mail(t.n.envelopeFrom()); err != nil {
		if r := reply(err); r != nil {
			e.failAll(t.senderFailure(r))
			return r.Code != 421 && t.reset(), r.Code == 421
		}
		e.failAll(t.broken(err))
		return false, true
	}
	for i, r := range e.rcpts {
		if err := client.Rcpt(r); err != nil {
			rr := reply(err)
			if rr == nil {
				e.failAccepted(t.broken(err))
				return false, false
			}
			e.fails[i] = &failure{what: t.n.server + " refused the recipient", retry: rr.Code < 500, err: rr}
		}
	}
	if e.accepted() == 0 {
		return t.reset(), false
	}
	w, err := client.Data()
	if err != nil {
		if r := reply(err); r != nil {
			e.failAccepted(t.emailRefused(r))
			return r.Code != 421 && t.reset(), false
		}
		e.failAccepted(t.broken(err))
		return false, false
	}
	if _, err := w.Write(e.data); err != nil {
		e.failAccepted(t.broken(err))
		return false, false
	}
	if err := w.Close(); err != nil {
		if r := reply(err); r != nil {
			e.failAccepted(t.emailRefused(r))
			return r.Code != 421, false
		}
		e.failAccepted(t.broken(err))
		return false, false
	}
	return true, false
}

// command is one SMTP command, or an email's content, and the reply code
// it hopes for; email, part and rcpt say what its reply is about.
type command struct {
	line    string // a command, without its CRLF
	content []byte // an email's content, after its BDAT or on its own (dotted, after DATA)
	expect  int
	email   int // the email in the series, or -1 (RSET)
	part    int
	rcpt    int
}

// What a command in a series is for.
const (
	partMail = iota
	partRcpt
	partData
	partContent
)

// pipeline sends cmds in groups of pipelineWindow, each group without
// waiting for replies, and returns each command's refusal (nil when it
// succeeded) and how many replies came before err, a broken connection.
func (c *conn) pipeline(cmds []command) (refused []*textproto.Error, replied int, err error) {
	refused = make([]*textproto.Error, len(cmds))
	text := c.client.Text
	for start := 0; start < len(cmds); start += pipelineWindow {
		group := cmds[start:min(start+pipelineWindow, len(cmds))]
		for _, cmd := range group {
			if cmd.line != "" {
				_, _ = text.W.WriteString(cmd.line)
				_, _ = text.W.WriteString("\r\n")
			}
			_, _ = text.W.Write(cmd.content)
		}
		if err := text.W.Flush(); err != nil {
			return refused, start, err
		}
		for i, cmd := range group {
			if _, _, err := text.ReadResponse(cmd.expect); err != nil {
				if refused[start+i] = reply(err); refused[start+i] == nil {
					return refused, start + i, err
				}
			}
		}
	}
	return refused, len(cmds), nil
}

// dotted is an email as it goes after DATA: CRLF line ends, a dot doubled
// at the start of a line, and the dot that ends it.
func dotted(data []byte) []byte { return append(crlf(data, true), ".\r\n"...) }

// crlf gives an email CRLF line ends, as it goes after BDAT; stuff also
// doubles a dot at the start of a line, as DATA needs.
func crlf(data []byte, stuff bool) []byte {
	out := make([]byte, 0, len(data)+len(data)/64+8)
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if stuff && len(line) > 0 && line[0] == '.' {
			out = append(out, '.')
		}
		out = append(out, line...)
		out = append(out, "\r\n"...)
		data = rest
	}
	return out
}

// mailParams are MAIL FROM's parameters: SMTPUTF8 when an address needs it
// and the server offers it (go-mail's Mail does the same for stepwise).
func (t *transaction) mailParams(rcpts []string) string {
	if !t.c.smtputf8 {
		return ""
	}
	for _, s := range append([]string{t.n.from.Address}, rcpts...) {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return " SMTPUTF8"
			}
		}
	}
	return ""
}

// senderFailure is every recipient's failure when the server refuses the
// sender.
func (t *transaction) senderFailure(r *textproto.Error) *failure {
	if r.Code == 421 { // closing: maybe an idle connection it has timed out
		return &failure{what: t.n.server + " is closing the connection", retry: true, err: r}
	}
	return &failure{what: t.n.server + " refused the sender " + t.n.from.Address, retry: r.Code < 500, err: r}
}

// emailRefused is the failure of an email the server would not take.
func (t *transaction) emailRefused(r *textproto.Error) *failure {
	return &failure{what: t.n.server + " refused the email", retry: r.Code < 500, err: r}
}

// broken is the failure of a connection that broke, or of a send stopped
// by its context.
func (t *transaction) broken(err error) *failure {
	if t.ctx.Err() != nil {
		return stopped(t.ctx)
	}
	return &failure{what: "the connection to " + t.n.server + " failed", retry: true, err: err}
}

// reset abandons the transaction with RSET and reports whether the
// session can go on.
func (t *transaction) reset() bool {
	return t.c.client.Reset() == nil
}

// reply is the server's refusal in err, or nil if err is not a reply.
func reply(err error) *textproto.Error {
	var r *textproto.Error
	if errors.As(err, &r) {
		return r
	}
	return nil
}

// envelopeFrom is the sender for MAIL FROM.
func (n *Notifier) envelopeFrom() string {
	return (&mail.Address{Address: n.from.Address}).String()
}
