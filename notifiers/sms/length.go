package sms

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// MaxLength is the most characters GOV.UK Notify takes in one text message
// (SMS_CHAR_COUNT_LIMIT in alphagov/notifications-utils: six fragments of
// 153), counted as Length counts them. Notify refuses a longer one with a
// 400 and sends nothing.
const MaxLength = 918

// Text is the text message sent for a message: its body, after its
// subject and a blank line unless the body already starts with the
// subject. Measure this, not the body, against MaxLength.
func Text(subject, body string) string {
	if subject != "" && !strings.HasPrefix(body, subject) {
		return subject + "\n\n" + body
	}
	return body
}

// Length counts a text message as GOV.UK Notify does (notifications-utils'
// SMSMessageTemplate): chars is what Notify holds against MaxLength, and
// fragments is how many texts the phone network carries, and Notify
// charges for.
//
// Notify first tidies the text: no spaces before a full stop or comma,
// runs of spaces within a line made one, lines trimmed, no more than one
// blank line in a row, the ends trimmed. Then every character it keeps
// counts one: the GSM 03.38 alphabet, its extension (^ { } \ [ ~ ] | €)
// and the Welsh accented letters; the rest it changes before sending: an
// accented letter to its base letter (ł to l), curly quotes and dashes to
// straight ones, "…" to "..." (three), zero-width spaces to nothing, and
// anything else, an emoji or a Chinese character, to "?". chars counts the
// text as changed.
//
// A text made of the GSM alphabet goes in fragments of 153 characters (160
// when it is one), each extension character taking two. One Welsh letter
// outside GSM (ŵ, ŷ, â, ë…) sends the whole text as unicode instead, in
// fragments of 67 (70 when it is one). fragments leaves out the service
// name Notify may put before every text, which MaxLength does not count
// either. An empty text is 0 and 0: Notify refuses it.
func Length(text string) (chars, fragments int) {
	extended, unicodeText := 0, false
	for _, r := range tidy(text) {
		switch {
		case strings.ContainsRune(gsmExtended, r):
			chars++
			extended++
		case strings.ContainsRune(gsm, r):
			chars++
		case strings.ContainsRune(welsh, r):
			chars++
			unicodeText = true
		case r == '…':
			chars += 3
		case strings.ContainsRune(zeroWidth, r):
		default:
			chars++ // to its base letter, a plain quote or dash, or "?"
		}
	}
	switch {
	case chars == 0:
		return 0, 0
	case unicodeText && chars <= 70:
		return chars, 1
	case unicodeText:
		return chars, ceilDiv(chars, 67)
	case chars+extended <= 160:
		return chars, 1
	}
	return chars, ceilDiv(chars+extended, 153)
}

// The characters Notify sends as they are (notifications_utils.sanitise_text).
const (
	gsm = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtended = "^{}\\[~]|€"
	// welsh is the Welsh accented letters outside GSM (those inside it, à
	// é ä, are in gsm and matched first): one makes the text unicode.
	welsh = "àèìòùẁỳÀÈÌÒÙẀỲáéíóúẃýÁÉÍÓÚẂÝäëïöüẅÿÄËÏÖÜẄŸâêîôûŵŷÂÊÎÔÛŴŶ"
	// zeroWidth is the whitespace Notify removes.
	zeroWidth = "\u180e\u200b\u200c\u200d\u2060\ufeff\u2028\u2029"
)

func ceilDiv(a, b int) int { return (a + b - 1) / b }

var (
	spaceBeforePunctuation = regexp.MustCompile(`[ \t]+([,.])`)
	blankLines             = regexp.MustCompile(`\n{3,}`)
)

// tidy lays a text out as Notify does before counting it
// (notifications_utils.formatters).
func tidy(text string) string {
	text = spaceBeforePunctuation.ReplaceAllString(text, "$1")
	lines := splitLines(text)
	for i, line := range lines {
		line = strings.Map(func(r rune) rune {
			switch {
			case r == '\u00a0' || r == '\u202f':
				return ' '
			case strings.ContainsRune(zeroWidth, r):
				return -1
			}
			return r
		}, line)
		lines[i] = strings.Join(strings.FieldsFunc(line, space), " ")
	}
	text = blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.TrimFunc(text, space)
}

// splitLines splits at every line break Python's str.splitlines knows.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var lines []string
	start := 0
	for i, r := range text {
		if lineBreak(r) {
			lines = append(lines, text[start:i])
			start = i + len(string(r))
		}
	}
	return append(lines, text[start:])
}

func lineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// space is Python's str.isspace, which Notify's tidying splits on: Go's
// unicode.IsSpace and the four ASCII separators.
func space(r rune) bool { return unicode.IsSpace(r) || r >= '\x1c' && r <= '\x1f' }

// TooLongError is a text message longer than GOV.UK Notify takes.
type TooLongError struct {
	Chars int // as Length counts them
}

func (e *TooLongError) Error() string {
	p := message.NewPrinter(language.BritishEnglish)
	return p.Sprintf("text is %d characters; GOV.UK Notify takes at most %d", e.Chars, MaxLength)
}
