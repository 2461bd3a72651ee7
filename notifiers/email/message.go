package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/crierhq/crier/notifiers"
	"golang.org/x/text/language"
)

// ExerciseBanner heads both the text and the HTML of every email sent in
// an exercise: a reader whose mail client shows only the text must see it
// too.
const ExerciseBanner = "EXERCISE — this is a drill, not a real incident"

// compose writes the email with m's content to the recipients to, as it
// goes after DATA. Several recipients are not named in it: To is the
// sender. It is built with the standard library's MIME packages:
// addresses by net/mail, the subject as RFC 2047 encoded words, every
// header folded (see writeHeader), and a multipart/alternative body of
// quoted-printable text and HTML parts (so no line is too long for SMTP,
// however long a subject, a name or a paragraph is).
func (n *Notifier) compose(m notifiers.Message, to []*mail.Address) ([]byte, error) {
	text, markup := plainText(m), htmlText(m)
	var buf bytes.Buffer
	buf.Grow(len(text) + len(markup) + 2048)
	var err error
	header := func(name, value string) {
		if err == nil {
			err = writeHeader(&buf, name, value)
		}
	}
	header("From", n.from.String())
	if len(to) == 1 {
		header("To", to[0].String())
		header("X-Crier-Delivery", printable(m.Delivery))
	} else {
		header("To", n.from.String())
		// Precedence: bulk asks old autoresponders, which do not know
		// Auto-Submitted, not to answer: an email to many would otherwise
		// bring a reply from each of them to the emergency mailbox. An
		// email to one person goes without it, as some mail clients file
		// bulk mail away from the inbox.
		header("Precedence", "bulk")
	}
	header("Subject", encodeText(subjectLine(m.Subject)))
	header("Date", n.now().Format(time.RFC1123Z))
	header("Message-ID", "<"+n.messageID(m)+">")
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	if m.Runbook != "" {
		header("List-Id", "<"+atom(m.Runbook)+".crier."+n.domain+">")
	}
	if m.Activation != "" {
		header("X-Crier-Activation", printable(m.Activation))
	}
	if tag, lerr := language.Parse(m.Language); m.Language != "" && lerr == nil {
		header("Content-Language", tag.String())
	}
	header("MIME-Version", "1.0")
	parts := multipart.NewWriter(&buf)
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": parts.Boundary()}))
	if err != nil {
		return nil, err
	}
	buf.WriteString("\r\n")
	for _, p := range []struct{ contentType, content string }{
		{"text/plain; charset=utf-8", text},
		{"text/html; charset=utf-8", markup},
	} {
		w, err := parts.CreatePart(textproto.MIMEHeader{"Content-Type": {p.contentType}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(p.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := parts.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// printable keeps the printable ASCII of an id: nothing in it can end
// the header line.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return -1
		}
		return r
	}, s)
}

// subjectLine is a subject fit for the header: one line, and no longer
// than mail clients show.
func subjectLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxSubject {
		s = string(r[:maxSubject-1]) + "…"
	}
	return s
}

// maxSubject is the longest subject sent, in characters.
const maxSubject = 200

// group names what every recipient of one revision of one message gets:
// "a-000001/holding-statement/1/r2".
func group(m notifiers.Message) string {
	return m.Message + "/r" + strconv.Itoa(m.Revision)
}

// contentHash identifies what an email to m's delivery group says.
func contentHash(m notifiers.Message) string {
	fields := []string{m.Activation, m.Runbook, group(m), m.Language, strconv.FormatBool(m.Exercise), m.Subject, m.Body}
	size := 0
	for _, f := range fields {
		size += len(f) + 21
	}
	b := make([]byte, 0, size)
	for _, f := range fields { // each with its length, so no two lists run together alike
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// messageID is the same for the same content to the same delivery group
// on every try, so a receiving system can drop a second copy. A
// personalised message has its whole delivery id.
func (n *Notifier) messageID(m notifiers.Message) string {
	id := group(m)
	if m.AckURL != "" {
		id = m.Delivery
	}
	if m.Language != "" {
		id += "." + m.Language
	}
	return atom(id+"."+contentHash(m)[:12]) + "@" + n.domain
}

// atom makes s fit the left of an @ (an RFC 5322 dot-atom): each run of
// characters other than letters, digits, - and _ becomes one dot.
func atom(s string) string {
	var b strings.Builder
	dot := false
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			if dot && b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteRune(r)
			dot = false
		} else {
			dot = true
		}
	}
	if b.Len() == 0 {
		return "crier"
	}
	return b.String()
}

// plainText is the text/plain part: the exercise banner, the body, and
// the acknowledgement link.
func plainText(m notifiers.Message) string {
	text := strings.ReplaceAll(m.Body, "\r\n", "\n")
	if m.Exercise {
		text = ExerciseBanner + "\n\n" + text
	}
	if m.AckURL != "" {
		text = strings.TrimRight(text, "\n") + "\n\nAcknowledge: " + m.AckURL + "\n"
	}
	return text
}

// htmlText is the text/html part: the body with every character escaped,
// a paragraph for each run of lines between blank ones, a <br> for each
// line break, the exercise banner and the acknowledgement link.
func htmlText(m notifiers.Message) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html")
	if m.Language != "" {
		b.WriteString(` lang="` + html.EscapeString(m.Language) + `"`)
	}
	b.WriteString(">\n<head><meta charset=\"utf-8\"><title>" + html.EscapeString(m.Subject) + "</title></head>\n<body>\n")
	if m.Exercise {
		b.WriteString(`<p style="border:3px solid #b00020;background:#fdecea;color:#b00020;padding:8px;font-weight:bold">` +
			html.EscapeString(ExerciseBanner) + "</p>\n")
	}
	for _, p := range paragraphs(m.Body) {
		for i, line := range p {
			p[i] = html.EscapeString(line)
		}
		b.WriteString("<p>" + strings.Join(p, "<br>\n") + "</p>\n")
	}
	if m.AckURL != "" {
		u := html.EscapeString(m.AckURL)
		if strings.HasPrefix(m.AckURL, "https://") || strings.HasPrefix(m.AckURL, "http://") {
			b.WriteString(`<p>Acknowledge: <a href="` + u + `">` + u + "</a></p>\n")
		} else {
			b.WriteString("<p>Acknowledge: " + u + "</p>\n")
		}
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

// paragraphs splits text at blank lines into the lines of each paragraph.
func paragraphs(text string) [][]string {
	var ps [][]string
	var p []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			if p != nil {
				ps = append(ps, p)
				p = nil
			}
			continue
		}
		p = append(p, line)
	}
	if p != nil {
		ps = append(ps, p)
	}
	return ps
}
