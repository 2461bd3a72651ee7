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

// sendOne sends one email, the content of the messages ms[idx] share, to
// each of their recipients, and records each message's outcome.
func (n *Notifier) sendOne(ctx context.Context, ms []notifiers.Message, idx []int, results []notifiers.Result) {
	var rcpts []string // envelope addresses, each once
	var to []*mail.Address
	who := map[string][]int{} // envelope address: the messages to it
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
		if _, ok := who[env]; !ok {
			rcpts = append(rcpts, env)
			to = append(to, a)
		}
		who[env] = append(who[env], i)
	}
	if len(rcpts) == 0 {
		return
	}
	data, err := n.compose(ms[who[rcpts[0]][0]], to)
	fails := make([]*failure, len(rcpts))
	if err != nil {
		for j := range fails {
			fails[j] = &failure{what: "writing the email", err: err}
		}
	} else {
		fails = n.deliver(ctx, rcpts, data)
	}
	for j, env := range rcpts {
		if fails[j] == nil {
			continue
		}
		for _, i := range who[env] {
			results[i] = notifiers.Result{Retry: fails[j].retry, Err: n.report(to[j].Address, fails[j])}
		}
	}
}

// deliver sends data to rcpts on a pooled connection and returns each
// recipient's failure, nil for those the server took.
func (n *Notifier) deliver(ctx context.Context, rcpts []string, data []byte) []*failure {
	for {
		c, f := n.acquire(ctx)
		if f != nil {
			return all(f, len(rcpts))
		}
		fails, keep, stale := n.transact(ctx, c, rcpts, data)
		reused := c.used
		n.release(c, keep)
		// A connection that was idle may have been closed by the server
		// meanwhile; nothing was sent on it, so try the next, or a new one.
		// This ends: each connection is tried once, and a new one is not
		// reused.
		if stale && reused {
			continue
		}
		return fails
	}
}

// transact runs one SMTP transaction on c: MAIL, a RCPT for each
// recipient, and DATA if the server took any. keep says whether c can be
// used again; stale, that it failed before the server answered anything.
func (n *Notifier) transact(ctx context.Context, c *conn, rcpts []string, data []byte) (fails []*failure, keep, stale bool) {
	deadline := time.Now().Add(n.cfg.Timeout)
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
	t := &transaction{n: n, ctx: ctx, c: c, rcpts: rcpts}
	if c.pipelining {
		return t.pipelined(data)
	}
	return t.stepwise(data)
}

// transaction is one email on its way over one connection.
type transaction struct {
	n     *Notifier
	ctx   context.Context
	c     *conn
	rcpts []string
}

// stepwise runs the transaction one command and reply at a time, through
// go-mail's SMTP client.
func (t *transaction) stepwise(data []byte) (fails []*failure, keep, stale bool) {
	client := t.c.client
	if err := client.Mail(t.n.envelopeFrom()); err != nil {
		if r := reply(err); r != nil {
			return t.senderRefused(r, true)
		}
		return all(t.broken(err), len(t.rcpts)), false, true
	}
	refused := make([]*textproto.Error, len(t.rcpts))
	var err error
	for i, r := range t.rcpts {
		if err = client.Rcpt(r); err != nil {
			if refused[i] = reply(err); refused[i] == nil {
				break
			}
			err = nil
		}
	}
	fails, accepted := t.recipients(refused)
	if err != nil { // those refused before the break keep their own answer
		return failAccepted(fails, t.broken(err)), false, false
	}
	if accepted == 0 {
		return fails, t.reset(), false
	}
	w, err := client.Data()
	if err != nil {
		if r := reply(err); r != nil {
			return failAccepted(fails, t.emailRefused(r)), r.Code != 421 && t.reset(), false
		}
		return failAccepted(fails, t.broken(err)), false, false
	}
	if _, err := w.Write(data); err != nil {
		return failAccepted(fails, t.broken(err)), false, false
	}
	return t.ended(w.Close(), fails)
}

// pipelined runs the transaction as RFC 2920 allows when the server offers
// PIPELINING: MAIL, every RCPT and DATA go without waiting for each
// reply, then the email; two round trips instead of one per command.
func (t *transaction) pipelined(data []byte) (fails []*failure, keep, stale bool) {
	cmds := make([]command, 0, len(t.rcpts)+2)
	cmds = append(cmds, command{"MAIL FROM:" + t.n.envelopeFrom() + t.mailParams(), 25})
	for _, r := range t.rcpts {
		cmds = append(cmds, command{"RCPT TO:" + r, 25})
	}
	cmds = append(cmds, command{"DATA", 354})
	refused, replied, err := t.c.pipeline(cmds)
	if replied == 0 {
		return all(t.broken(err), len(t.rcpts)), false, true
	}
	dataRefused := refused[len(cmds)-1]
	if r := refused[0]; r != nil {
		return t.senderRefused(r, err == nil && dataRefused != nil)
	}
	fails, accepted := t.recipients(refused[1 : 1+len(t.rcpts)])
	if err != nil {
		return failAccepted(fails, t.broken(err)), false, false
	}
	if dataRefused != nil {
		if accepted == 0 {
			return fails, t.reset(), false
		}
		return failAccepted(fails, t.emailRefused(dataRefused)), dataRefused.Code != 421 && t.reset(), false
	}
	if accepted == 0 { // it asks for an email no one is to get: out of step
		return fails, false, false
	}
	text := t.c.client.Text
	if _, err := text.W.Write(dotted(data)); err != nil {
		return failAccepted(fails, t.broken(err)), false, false
	}
	if err := text.W.Flush(); err != nil {
		return failAccepted(fails, t.broken(err)), false, false
	}
	_, _, err = text.ReadResponse(250)
	return t.ended(err, fails)
}

// command is one SMTP command and the reply code it hopes for.
type command struct {
	line   string
	expect int
}

// pipeline sends cmds in groups of pipelineWindow, each group without
// waiting for replies, and returns each command's refusal (nil when it
// succeeded) and how many replies came before err, a broken connection.
func (c *conn) pipeline(cmds []command) (refused []*textproto.Error, replied int, err error) {
	refused = make([]*textproto.Error, len(cmds))
	text := c.client.Text
	for start := 0; start < len(cmds); start += pipelineWindow {
		group := cmds[start:min(start+pipelineWindow, len(cmds))]
		for _, cmd := range group {
			_, _ = text.W.WriteString(cmd.line)
			_, _ = text.W.WriteString("\r\n")
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
func dotted(data []byte) []byte {
	out := make([]byte, 0, len(data)+len(data)/64+8)
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && line[0] == '.' {
			out = append(out, '.')
		}
		out = append(out, line...)
		out = append(out, "\r\n"...)
		data = rest
	}
	return append(out, ".\r\n"...)
}

// mailParams are MAIL FROM's parameters: SMTPUTF8 when an address needs it
// and the server offers it (go-mail's Mail does the same for stepwise).
func (t *transaction) mailParams() string {
	if !t.c.smtputf8 {
		return ""
	}
	for _, s := range append([]string{t.n.from.Address}, t.rcpts...) {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return " SMTPUTF8"
			}
		}
	}
	return ""
}

// recipients are the failures of the recipients the server refused, and
// how many it did not.
func (t *transaction) recipients(refused []*textproto.Error) (fails []*failure, accepted int) {
	fails = make([]*failure, len(refused))
	for i, r := range refused {
		if r == nil {
			accepted++
			continue
		}
		fails[i] = &failure{what: t.n.server + " refused the recipient", retry: r.Code < 500, err: r}
	}
	return fails, accepted
}

// senderRefused fails every recipient with the server's answer to MAIL.
// inStep says the session can go on after RSET.
func (t *transaction) senderRefused(r *textproto.Error, inStep bool) (fails []*failure, keep, stale bool) {
	if r.Code == 421 { // closing: maybe an idle connection it has timed out
		return all(&failure{what: t.n.server + " is closing the connection", retry: true, err: r}, len(t.rcpts)), false, true
	}
	f := &failure{what: t.n.server + " refused the sender " + t.n.from.Address, retry: r.Code < 500, err: r}
	return all(f, len(t.rcpts)), inStep && t.reset(), false
}

// emailRefused is the failure of an email the server would not take.
func (t *transaction) emailRefused(r *textproto.Error) *failure {
	return &failure{what: t.n.server + " refused the email", retry: r.Code < 500, err: r}
}

// ended takes the server's reply to the end of the email, which applies
// to every recipient it accepted, and ends the transaction: no RSET.
func (t *transaction) ended(err error, fails []*failure) ([]*failure, bool, bool) {
	if err == nil {
		return fails, true, false
	}
	if r := reply(err); r != nil {
		return failAccepted(fails, t.emailRefused(r)), r.Code != 421, false
	}
	return failAccepted(fails, t.broken(err)), false, false
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

// all is f for each of n recipients.
func all(f *failure, n int) []*failure {
	fails := make([]*failure, n)
	for i := range fails {
		fails[i] = f
	}
	return fails
}

// failAccepted gives f to each recipient that has no failure yet.
func failAccepted(fails []*failure, f *failure) []*failure {
	for i := range fails {
		if fails[i] == nil {
			fails[i] = f
		}
	}
	return fails
}

// envelopeFrom is the sender for MAIL FROM.
func (n *Notifier) envelopeFrom() string {
	return (&mail.Address{Address: n.from.Address}).String()
}
