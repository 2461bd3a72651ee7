package teams

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crierhq/crier/notifiers"
	"golang.org/x/text/language"
	numbers "golang.org/x/text/message"
)

// maxBody is the most a Workflows request may be, in bytes of the JSON
// body sent. Microsoft: "When an action posts a message, the message size
// limit is approximately 28 KB. This limit includes all HTML elements"
// (https://learn.microsoft.com/connectors/teams/, Known issues and
// limitations), and "The message size limit is 28 KB" for incoming
// webhooks (https://learn.microsoft.com/microsoftteams/platform/
// webhooks-and-connectors/how-to/add-incoming-webhook). A Workflows URL
// answers 202 to a bigger card and then drops it inside the flow, so
// crier must never send one.
const maxBody = 28000

// shortening says how much of a message's body a card left out.
type shortening struct {
	kept, left int // characters
}

// fit encodes the card for m: the whole message when the request body is
// at most maxBody bytes, else the longest start of the body that fits
// with a note saying the message is longer (and a link to it on crier,
// when m.Link is set). The body is cut after a paragraph, else after a
// line, else between words, else between characters.
func fit(m notifiers.Message) ([]byte, shortening, error) {
	text := bodyText(m)
	whole, err := json.Marshal(layout(m, text, nil))
	if err != nil || len(whole) <= maxBody {
		return whole, shortening{}, err
	}
	try := func(end int) ([]byte, shortening) {
		s := shortening{kept: utf8.RuneCountInString(text[:end]), left: utf8.RuneCountInString(strings.TrimSpace(text[end:]))}
		b, _ := json.Marshal(layout(m, strings.TrimRightFunc(text[:end], unicode.IsSpace), &s)) // strings and bools: cannot fail
		return b, s
	}
	for _, ends := range [][]int{breaks(text, "\n\n"), breaks(text, "\n"), spaces(text), characters(text)} {
		// The card grows with the text kept (less the note's count, a
		// digit or two), so search, then step back past any such wobble.
		i := sort.Search(len(ends), func(i int) bool { b, _ := try(ends[i]); return len(b) > maxBody })
		for ; i > 0; i-- {
			if b, s := try(ends[i-1]); len(b) <= maxBody {
				return b, s, nil
			}
		}
	}
	b, _ := try(0)
	return nil, shortening{}, fmt.Errorf("the card is %d bytes without the message's text, more than the %d bytes a Workflows webhook takes", len(b), maxBody)
}

// bodyText is the body as cards show it, with Windows line ends as \n.
func bodyText(m notifiers.Message) string {
	return strings.TrimSpace(strings.ReplaceAll(m.Body, "\r\n", "\n"))
}

// breaks are the places in text where a sep starts: where a cut before it
// ends a paragraph ("\n\n") or a line ("\n").
func breaks(text, sep string) []int {
	var ends []int
	for i := 0; ; {
		j := strings.Index(text[i:], sep)
		if j < 0 {
			return ends
		}
		if i+j > 0 {
			ends = append(ends, i+j)
		}
		i += j + len(sep)
	}
}

// spaces are the places in text where whitespace starts after a word.
func spaces(text string) []int {
	var ends []int
	prev := ' '
	for i, r := range text {
		if unicode.IsSpace(r) && !unicode.IsSpace(prev) {
			ends = append(ends, i)
		}
		prev = r
	}
	return ends
}

// characters are the places between two characters of text.
func characters(text string) []int {
	var ends []int
	for i := range text {
		if i > 0 {
			ends = append(ends, i)
		}
	}
	return ends
}

// note is the line that says a card does not hold the whole message.
func note(m notifiers.Message, s shortening) textBlock {
	left := numbers.NewPrinter(language.BritishEnglish).Sprintf("%d", s.left)
	text := fmt.Sprintf("The full message is longer: it was shortened to fit in Teams, and %s characters were left out.", left)
	if m.Link != "" {
		text = fmt.Sprintf("The full message is longer (%s more characters): [read it on crier](%s)", left, m.Link)
	}
	return textBlock{Type: "TextBlock", Text: text, Wrap: true, Weight: "Bolder"}
}
