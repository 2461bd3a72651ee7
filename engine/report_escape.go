package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The report is Markdown that people read and that crier's web page and
// any other Markdown viewer render. Everything in it that people or a
// runbook wrote (titles, names, subjects, bodies, decisions, reasons,
// addresses, errors) goes through mdText or quote, so that it is shown as
// text: it never makes a heading, list item, table row or cell, link,
// image, emphasis or HTML of its own. Escaping with backslashes keeps it
// readable in the Markdown itself and exact once rendered.

// mdText escapes what people wrote so that Markdown shows it as text, on
// one line: runs of white space, line breaks included, become one space.
// It is safe anywhere the report writes text, even at the start of a line
// or in a table cell.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i, c := range s {
		if mdEscaped(s, i, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mdEscaped says whether the character c at byte i of s needs a backslash.
func mdEscaped(s string, i int, c rune) bool {
	switch {
	case strings.ContainsRune("\\`*[]<>|~", c):
		return true // emphasis, code, links and images, HTML and autolinks, block quotes, table cells, strikethrough
	case c == '_':
		// Emphasis, but not inside a word: not_reached reads as it is.
		return !wordRuneBefore(s, i) || !wordRuneAt(s, i+1)
	case c == '&':
		return i+1 < len(s) && (s[i+1] == '#' || isWordChar(s[i+1])) // an entity: &lt; &#60;
	case c == '#':
		return i == 0 || s[i-1] == ' ' && strings.Trim(s[i:], "#") == "" // a heading, or the # that close one
	case i == 0 && strings.ContainsRune("-+=", c):
		// A list item, a thematic break or a heading's underline; not a
		// phone number such as +447700900123.
		return strings.HasPrefix(s[1:], " ") || strings.Trim(s, string(c)+" ") == ""
	case (c == '.' || c == ')') && i > 0 && i <= 9 && strings.IndexFunc(s[:i], notDigit) < 0:
		return i+1 == len(s) || s[i+1] == ' ' // an ordered list item: "1. " or "1) "
	case c == ':' && strings.HasPrefix(s[i:], "://"):
		return true // a bare URL, which GitHub's Markdown and linkify make a link
	case c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www") && (i == 3 || !isWordChar(s[i-4])):
		return true // www.example.com, likewise
	}
	return false
}

func notDigit(c rune) bool { return c < '0' || c > '9' }

func wordRuneBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func wordRuneAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// quote writes a message body as a block quote, each of its lines escaped
// as mdText escapes them and kept as a line of its own; blank lines
// separate paragraphs. A body with no text is said to be empty.
func quote(body string) string {
	var out []string
	blank := false
	body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	for _, line := range strings.Split(body, "\n") {
		text := mdText(line)
		if text == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, ">")
			blank = false
		} else if n := len(out); n > 0 {
			// A hard line break, so the line ends where its writer ended it:
			// two spaces, as a backslash there makes goldmark misread a
			// backslash that starts the next line.
			out[n-1] += "  "
		}
		out = append(out, "> "+text)
	}
	if len(out) == 0 {
		return "_No text._"
	}
	return strings.Join(out, "\n")
}

// mdCode writes s as a code span, whatever backticks it holds.
func mdCode(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
