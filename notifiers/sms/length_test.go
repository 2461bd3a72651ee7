package sms

import (
	"strings"
	"testing"
)

// TestLength counts as GOV.UK Notify does: every case is one of Notify's
// own, from alphagov/notifications-utils' tests (test_template_types.py:
// character counts, fragment counts, messages too long; and
// test_sanitise_text.py), with the personalisation filled in.
func TestLength(t *testing.T) {
	r := strings.Repeat
	for _, tc := range []struct {
		name      string
		text      string
		chars     int
		fragments int
	}{
		{"plain", "Just content", 12, 1},
		{"personalised", "Content with something extra here", 33, 1},
		{"a trailing space", "Content with ", 12, 1},
		{"an apostrophe and a trailing newline", "'First line.\n", 12, 1},
		{"only whitespace", "\t\n\r", 0, 0},
		{"only spaces", "    ", 0, 0},
		{"runs of spaces", "  G      D       S  ", 5, 1},
		{"blank lines", "P1 \n\n\n\n\n\n P2", 6, 1},
		{"spaces around an empty value", "a        b", 3, 1},
		{"whitespace collapsed", "The     quick brown fox.\n\n\n\n\nJumps over the lazy dog.   \nSingle linebreak above.", 70, 1},
		{"whitespace collapsed, space before a full stop", "\n   \nThe quick brown fox.  \n\n          Jumps over the lazy dog   .  \nSingle linebreak above. \n  \n \n", 70, 1},
		{"a CJK character becomes ?", "深", 1, 1},
		{"a Welsh letter is kept", "Ŵ", 1, 1},
		{"accents dropped", "Łōdź", 4, 1},
		{"trade mark becomes ?", "It Just Works™", 14, 1},
		{"ellipsis becomes three full stops", "…", 3, 1},
		{"zero width space removed", "a\u200bb", 2, 1},

		{"GSM Welsh letter, 71", r("à", 71), 71, 1},
		{"GSM Welsh letter, 160", r("à", 160), 160, 1},
		{"GSM Welsh letter, 161", r("à", 161), 161, 2},
		{"GSM Welsh letter, 306", r("à", 306), 306, 2},
		{"GSM Welsh letter, 307", r("à", 307), 307, 3},
		{"GSM Welsh letter, 612", r("à", 612), 612, 4},
		{"GSM Welsh letter, 613", r("à", 613), 613, 5},
		{"GSM Welsh letter, 765", r("à", 765), 765, 5},
		{"GSM Welsh letter, 766", r("à", 766), 766, 6},
		{"GSM Welsh letter, 918", r("à", 918), 918, 6},
		{"GSM Welsh letter, 919", r("à", 919), 919, 7},
		{"unicode Welsh letter, 70", r("ÿ", 70), 70, 1},
		{"unicode Welsh letter, 71", r("ÿ", 71), 71, 2},
		{"unicode Welsh letter, 134", r("ÿ", 134), 134, 2},
		{"unicode Welsh letter, 135", r("ÿ", 135), 135, 3},
		{"unicode Welsh letter, 268", r("ÿ", 268), 268, 4},
		{"unicode Welsh letter, 269", r("ÿ", 269), 269, 5},
		{"unicode Welsh letter, 402", r("ÿ", 402), 402, 6},
		{"unicode Welsh letter, 403", r("ÿ", 403), 403, 7},
		{"one unicode letter makes it all unicode", r("à", 70) + "ÿ", 71, 2},
		{"emoji become ?, 160", r("🚀", 160), 160, 1},
		{"emoji become ?, 161", r("🚀", 161), 161, 2},

		{"extension characters count two, 80", r("^", 80), 80, 1},
		{"extension characters count two, 81", r("^", 81), 81, 2},
		{"one extension character, 159", r("a", 158) + "|", 159, 1},
		{"one extension character, 160", r("a", 159) + "|", 160, 2},
		{"one extension character, 305", r("a", 304) + "[", 305, 2},
		{"two extension characters, 306", r("a", 304) + "[]", 306, 3},
		{"extension in unicode counts one, 70", r("â", 69) + "{", 70, 1},
		{"extension in unicode counts one, 71", r("â", 70) + "{", 71, 2},
		{"extension in unicode counts one, 134", r("â", 133) + "}", 134, 2},
		{"extension in unicode counts one, 135", r("â", 134) + "}", 135, 3},

		{"at the limit", r("b", 917) + "c", 918, 6},
		{"one over the limit", r("b", 917) + "cc", 919, 7},
		{"unicode over the limit", r("Ŵ", 1000) + "cc", 1002, 15},
		{"a flag is three characters", r("🏳️‍🌈", 917) + "cc", 2753, 18},
	} {
		chars, fragments := Length(tc.text)
		if chars != tc.chars || fragments != tc.fragments {
			t.Errorf("%s: Length = %d chars, %d fragments; want %d, %d", tc.name, chars, fragments, tc.chars, tc.fragments)
		}
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ subject, body, want string }{
		{"Flood alert", "Sandbags at the depot.", "Flood alert\n\nSandbags at the depot."},
		{"Flood alert", "Flood alert: sandbags at the depot.", "Flood alert: sandbags at the depot."},
		{"", "Sandbags at the depot.", "Sandbags at the depot."},
	} {
		if got := Text(tc.subject, tc.body); got != tc.want {
			t.Errorf("Text(%q, %q) = %q, want %q", tc.subject, tc.body, got, tc.want)
		}
	}
}

func TestTooLongError(t *testing.T) {
	if got, want := (&TooLongError{Chars: 1030}).Error(), "text is 1,030 characters; GOV.UK Notify takes at most 918"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
