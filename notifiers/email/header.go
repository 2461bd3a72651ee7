package email

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
)

// Header line lengths, in octets without the CRLF (RFC 5322 section
// 2.1.1): a line should be at most foldAt and must be at most maxLine.
// Some relays refuse an email with a longer line, or cut it.
const (
	foldAt  = 78
	maxLine = 998
)

// writeHeader writes one header field, folded at spaces so that no line is
// longer than foldAt where a space allows it. Only a word longer than a
// line makes a longer one: an address, an id, or a run of ASCII without a
// space (RFC 5322 folds only at white space, and mime.WordEncoder leaves
// ASCII as it is). A line longer than maxLine is an error, as no relay
// need accept it. The value must already be encoded: see encodeText.
//
// The folding is written here because nothing at hand does it: the
// standard library's mime.WordEncoder splits text into encoded words of
// at most 75 characters but joins them with spaces on one line, net/mail
// does not fold, and go-mail's header writer is reachable only by building
// the whole email as a go-mail Msg.
func writeHeader(b *bytes.Buffer, name, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("the %s header holds a line break", name)
	}
	b.WriteString(name)
	b.WriteByte(':')
	line := len(name) + 1
	words := strings.Split(value, " ")
	for i, w := range words {
		// Fold only at a single space between two words: a line that ends
		// or starts with more white space unfolds differently in readers
		// that trim it (Go's net/textproto does).
		single := w != "" && (i == 0 || words[i-1] != "")
		if single && line+1+len(w) > foldAt {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteByte(' ')
		b.WriteString(w)
		line += 1 + len(w)
		if line > maxLine {
			return fmt.Errorf("the %s header has a word too long for one line of at most %d characters", name, maxLine)
		}
	}
	b.WriteString("\r\n")
	return nil
}

// encodeText makes an unstructured header value, the subject, fit for a
// header: printable ASCII as it is, anything else as RFC 2047 encoded
// words of at most 75 characters each, whichever of Q and B encoding is
// shorter. Q keeps a Latin-script subject (English, Welsh, Polish) mostly
// legible, costing three characters for each byte outside ASCII; B costs
// four for every three bytes, far shorter for a script with none in ASCII
// (Urdu, Arabic, Bengali) and for emoji. Mail clients read both alike.
//
// Display names need no such choice: net/mail's Address.String encodes
// them, with B where Q would let through characters RFC 2047 section 5
// forbids in a name.
func encodeText(s string) string {
	q := mime.QEncoding.Encode("utf-8", s)
	if b := mime.BEncoding.Encode("utf-8", s); len(b) < len(q) {
		return b
	}
	return q
}
