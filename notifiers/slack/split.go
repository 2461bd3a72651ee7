package slack

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slack's limits on one message, all in one place. A payload over any of
// them is refused (invalid_blocks, msg_blocks_too_long) and the delivery
// fails for good, so crier cuts its messages to fit them.
const (
	// maxBlocks is the most blocks one message may have: "You can include
	// up to 50 blocks in each message"
	// (https://docs.slack.dev/reference/block-kit/blocks).
	maxBlocks = 50
	// maxSection is the most text a section block may have: "Maximum length
	// for the text in this field is 3000 characters"
	// (https://docs.slack.dev/reference/block-kit/blocks/section-block).
	maxSection = 3000
	// maxHeader is the most text a header's plain_text may have: "Maximum
	// length for the text in this field is 150 characters"
	// (https://docs.slack.dev/reference/block-kit/blocks/header-block).
	maxHeader = 150
	// maxText is where Slack truncates a message's top-level text
	// (https://docs.slack.dev/reference/methods/chat.postMessage, "Truncating
	// content"). crier's text is a one-line preview, far below it.
	maxText = 40000
	// maxBlocksText is about the most text all of one message's blocks may
	// hold together. Slack publishes it for markdown blocks only
	// ("The cumulative limit for all markdown blocks in a single payload is
	// 12,000 characters",
	// https://docs.slack.dev/reference/block-kit/blocks/markdown-block), but
	// chat.postMessage answers msg_blocks_too_long for other blocks too,
	// from about 11,300 to 13,300 characters by what they hold (reported in
	// slackapi/bolt-js#2509 and #2867, where Slack's staff name 12,000).
	maxBlocksText = 12000
)

// crier's own budgets under Slack's limits.
const (
	// maxFrame is the most blocks around a message's body: the drill
	// banner, the approval line, the header, the buttons, the context line.
	maxFrame = 5
	// maxBodyText is the body text one message carries. It leaves a
	// quarter of maxBlocksText to the frame (whose text is a few hundred
	// characters at most: maxHeader, maxContext) and to Slack's counting of
	// the blocks themselves.
	maxBodyText = maxBlocksText * 3 / 4
	// maxContext is the most text of the context line (runbook, step and
	// activation ids, and which part of a thread this is).
	maxContext = 500
)

// length is how long Slack may count s to be. Slack says "characters"
// without saying which count; this is the largest reading — UTF-8 bytes,
// with & < > as the entities Slack stores them as (&amp; &lt; &gt;) — so a
// text that fits by it fits by any other (runes, UTF-16 units). Reading
// too long costs a few more blocks; reading too short loses the message.
func length(s string) int {
	n := 0
	for _, r := range s {
		n += runeLength(r)
	}
	return n
}

func runeLength(r rune) int {
	switch r {
	case '&':
		return len("&amp;")
	case '<', '>':
		return len("&lt;")
	}
	return utf8.RuneLen(r) // an invalid byte reads as U+FFFD, 3 bytes: never short
}

// split cuts text into pieces that each measure at most limit: after the
// last paragraph that fits, else the last line, else the last word, else
// between two characters (never inside one). The whitespace at a cut is
// dropped, so the pieces with only whitespace between them are the text
// (trimmed). It does not look for Slack's <…> mark-up: crier sends bodies
// as plain_text, where < and > are only characters.
func split(text string, limit int) []string {
	var pieces []string
	for text = strings.TrimSpace(text); text != ""; {
		if length(text) <= limit {
			return append(pieces, text)
		}
		piece, rest := cut(text, limit)
		pieces = append(pieces, piece)
		text = rest
	}
	return pieces
}

// cut takes the first piece off text, which measures more than limit and
// starts with no whitespace.
func cut(text string, limit int) (piece, rest string) {
	end := 0 // the longest prefix within limit, in bytes
	for n := 0; end < len(text); {
		r, size := utf8.DecodeRuneInString(text[end:])
		if n += runeLength(r); n > limit {
			break
		}
		end += size
	}
	if end == 0 { // one character over the limit: it goes alone
		_, end = utf8.DecodeRuneInString(text)
	}
	at := -1 // where the whitespace of the best cut begins
	for _, sep := range []string{"\n\n", "\n"} {
		if i := strings.LastIndex(text[:min(len(text), end+len(sep))], sep); i > 0 {
			at = i
			break
		}
	}
	if at < 0 {
		_, next := utf8.DecodeRuneInString(text[end:])
		if i := strings.LastIndexFunc(text[:end+next], unicode.IsSpace); i > 0 {
			at = i
		}
	}
	if at < 0 {
		return text[:end], strings.TrimLeftFunc(text[end:], unicode.IsSpace)
	}
	return strings.TrimRightFunc(text[:at], unicode.IsSpace), strings.TrimLeftFunc(text[at:], unicode.IsSpace)
}

// preview is s if it measures at most limit, else its first words that
// do, with an ellipsis.
func preview(s string, limit int) string {
	if s = strings.TrimSpace(s); length(s) <= limit {
		return s
	}
	piece, _ := cut(s, limit-length("…"))
	return piece + "…"
}
