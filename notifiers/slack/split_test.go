package slack

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// wholeAfterSplit checks that pieces are text cut up: in order, nothing
// lost or added, with only whitespace (the paragraph, line or word break
// cut at, which split drops) or nothing (a cut inside a word) between one
// piece and the next.
func wholeAfterSplit(t *testing.T, text string, pieces []string) {
	t.Helper()
	rest := strings.TrimSpace(text)
	for i, p := range pieces {
		if p == "" || !strings.HasPrefix(rest, p) {
			t.Fatalf("piece %d (%.40q…) is not where the text goes on (%.40q…)", i, p, rest)
		}
		rest = rest[len(p):]
		if gap := strings.TrimLeftFunc(rest, unicode.IsSpace); i < len(pieces)-1 {
			rest = gap
		}
	}
	if rest != "" {
		t.Fatalf("%d bytes of the text are in no piece: %.40q…", len(rest), rest)
	}
}

func TestSplit(t *testing.T) {
	para := func(c string, n int) string { return strings.Repeat(c, n) }
	for _, tc := range []struct {
		name  string
		text  string
		limit int
		want  []string // nil: check only the limit and wholeness
	}{
		{"fits", "Road closed.\n\nUse the A59.", 100, []string{"Road closed.\n\nUse the A59."}},
		{"exactly the limit", para("a", 3000), 3000, []string{para("a", 3000)}},
		{"after the last paragraph that fits", "one two\n\nthree four\n\nfive six", 20, []string{"one two\n\nthree four", "five six"}},
		{"else after a line", "one two\nthree four\nfive six", 20, []string{"one two\nthree four", "five six"}},
		{"else between words", "one two three four five six", 20, []string{"one two three four", "five six"}},
		{"a break just past the limit still counts", "1234567890\n\nabc", 10, []string{"1234567890", "abc"}},
		{"else between characters", para("a", 3001), 3000, []string{para("a", 3000), "a"}},
		{"& < > count as Slack's entities", "a&b c", 7, []string{"a&b", "c"}},
		{"whitespace at a cut is dropped", "one  \n\n\n  two", 5, []string{"one", "two"}},
		{"Polish, not inside a letter", "zażółć gęślą jaźń", 11, []string{"zażółć", "gęślą", "jaźń"}},
		{"no spaces: between runes", para("ą", 5), 5, []string{"ąą", "ąą", "ą"}},
		{"emoji", para("🚨", 3), 7, []string{"🚨", "🚨", "🚨"}},
		{"Urdu", "براہ کرم علاقے سے دور رہیں", 20, nil},
		{"a paragraph with no spaces among others", "First.\n\n" + para("x", 7000) + "\n\nLast.", 3000, []string{"First.", para("x", 3000), para("x", 3000), para("x", 1000) + "\n\nLast."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pieces := split(tc.text, tc.limit)
			for _, p := range pieces {
				if length(p) > tc.limit || !utf8.ValidString(p) {
					t.Errorf("piece %.40q… measures %d of %d, valid UTF-8 %v", p, length(p), tc.limit, utf8.ValidString(p))
				}
			}
			wholeAfterSplit(t, tc.text, pieces)
			if tc.want != nil && !slices.Equal(pieces, tc.want) {
				t.Errorf("got %s\nwant %s", summary(pieces), summary(tc.want))
			}
		})
	}
}

// summary shows pieces briefly: each one's length and start.
func summary(pieces []string) string {
	var b strings.Builder
	for _, p := range pieces {
		fmt.Fprintf(&b, "[%d %.12q…] ", len(p), p)
	}
	return b.String()
}

func TestPreview(t *testing.T) {
	for _, tc := range []struct{ s, want string }{
		{"Road closed", "Road closed"},
		{strings.Repeat("word ", 40), strings.TrimSpace(strings.Repeat("word ", 29)) + "…"},
		{strings.Repeat("x", 200), strings.Repeat("x", 147) + "…"},
	} {
		if got := preview(tc.s, maxHeader); got != tc.want || length(got) > maxHeader {
			t.Errorf("preview(%.20q…) = %q", tc.s, got)
		}
	}
}
