package email

import (
	"net/textproto"
	"strconv"
)

// series sends emails one after another over one connection that offers
// PIPELINING (RFC 2920), each email's commands in the same write as the
// content of the one before: MAIL, every RCPT and DATA go without waiting
// for replies, and an email's content is the first "command" of the next
// group. That is one round trip per email, however many there are. It
// fills in each email's failures and says whether the connection can be
// used again, and whether it failed before the server answered anything
// (an idle connection the server had closed: nothing was sent).
func (t *transaction) series(emails []*email) (keep, stale bool) {
	if t.c.chunking {
		return t.chunked(emails)
	}
	var cmds []command
	first := true
	for k, e := range emails {
		if e.done {
			continue // it could not be written: nothing to send
		}
		cmds = append(cmds, t.envelope(k, e)...)
		refused, replied, err := t.c.pipeline(cmds)
		if first && replied == 0 {
			for _, e := range emails {
				e.failAll(t.broken(err))
			}
			return false, true
		}
		first = false
		ready, closing := t.settle(emails, cmds, refused, replied)
		if err != nil || closing {
			t.fail(emails, err, closing)
			return false, false
		}
		cmds = cmds[:0]
		if ready {
			cmds = append(cmds, command{content: dotted(e.data), expect: 250, email: k, part: partContent})
		} else {
			// The transaction is left open (or was never begun): RSET
			// before the next one. It is always allowed.
			cmds = append(cmds, command{line: "RSET", expect: 250, email: -1})
		}
	}
	refused, replied, err := t.c.pipeline(cmds)
	_, closing := t.settle(emails, cmds, refused, replied)
	if err != nil || closing {
		t.fail(emails, err, closing)
		return false, false
	}
	return true, false
}

// chunked sends a series where the server also offers CHUNKING (RFC
// 3030): each email's content goes with BDAT, which needs no 354 first, so
// the whole series is written without waiting, a window of commands at a
// time. Each email starts with RSET, so that one whose recipients were all
// refused (its BDAT refused, its transaction left open) cannot spoil the
// next.
func (t *transaction) chunked(emails []*email) (keep, stale bool) {
	var cmds []command
	for k, e := range emails {
		if e.done {
			continue
		}
		cmds = append(cmds, command{line: "RSET", expect: 250, email: -1})
		env := t.envelope(k, e)
		content := crlf(e.data, false)
		cmds = append(cmds, env[:len(env)-1]...) // all but DATA
		cmds = append(cmds, command{line: "BDAT " + strconv.Itoa(len(content)) + " LAST", content: content, expect: 250, email: k, part: partContent})
	}
	refused, replied, err := t.c.pipeline(cmds)
	if replied == 0 {
		t.fail(emails, err, false)
		return false, true
	}
	if _, closing := t.settle(emails, cmds, refused, replied); err != nil || closing {
		t.fail(emails, err, closing)
		return false, false
	}
	return true, false
}

// envelope is an email's MAIL, RCPTs and DATA.
func (t *transaction) envelope(k int, e *email) []command {
	cmds := make([]command, 0, len(e.rcpts)+2)
	cmds = append(cmds, command{line: "MAIL FROM:" + t.n.envelopeFrom() + t.mailParams(e.rcpts), expect: 25, email: k, part: partMail})
	for i, r := range e.rcpts {
		cmds = append(cmds, command{line: "RCPT TO:" + r, expect: 25, email: k, part: partRcpt, rcpt: i})
	}
	return append(cmds, command{line: "DATA", expect: 354, email: k, part: partData})
}

// settle applies the replies to a group of commands to the emails they
// belong to. ready says the last email's DATA was answered 354: its
// content may follow; closing, that the server said 421.
func (t *transaction) settle(emails []*email, cmds []command, refused []*textproto.Error, replied int) (ready, closing bool) {
	for i, cmd := range cmds[:replied] {
		r := refused[i]
		if r != nil && r.Code == 421 {
			closing = true
		}
		if cmd.email < 0 {
			continue // RSET
		}
		e := emails[cmd.email]
		switch cmd.part {
		case partMail:
			e.senderRefused = r
		case partRcpt:
			if e.senderRefused != nil {
				continue // its RCPTs were answered "need MAIL": the sender's refusal stands for them
			}
			if r != nil {
				e.fails[cmd.rcpt] = &failure{what: t.n.server + " refused the recipient", retry: r.Code < 500, err: r}
			}
		case partData:
			switch {
			case e.senderRefused != nil:
				e.failAll(t.senderFailure(e.senderRefused))
				e.done = true
			case r != nil:
				e.failAccepted(t.emailRefused(r)) // no one accepted: only the recipients' own refusals stand
				e.done = true
			default:
				ready = true
			}
		case partContent:
			switch {
			case e.senderRefused != nil:
				e.failAll(t.senderFailure(e.senderRefused))
			case r != nil:
				e.failAccepted(t.emailRefused(r)) // no one accepted: only the recipients' own refusals stand
			}
			e.done = true
		}
	}
	return ready, closing
}

// fail gives every email not yet finished the failure of a connection
// that broke or that the server is closing.
func (t *transaction) fail(emails []*email, err error, closing bool) {
	f := &failure{what: t.n.server + " is closing the connection", retry: true, err: err}
	if !closing {
		f = t.broken(err)
	}
	for _, e := range emails {
		if !e.done {
			e.failAccepted(f)
			e.done = true
		}
	}
}
