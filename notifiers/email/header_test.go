package email

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"testing"
)

// encodedWord is an RFC 2047 encoded word as it appears in a header.
var encodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)

// checkHeaderLines checks the header of an email as a relay received it:
// each line at most limit octets, each folded line continuing with white
// space and holding more than white space, each encoded word at most 75
// characters. It returns how many encoded words there are.
func checkHeaderLines(t *testing.T, data string, limit int) int {
	t.Helper()
	end := strings.Index(data, "\r\n\r\n")
	if end < 0 {
		t.Fatalf("the email has no end of header:\n%s", data)
	}
	words := 0
	for i, line := range strings.Split(data[:end], "\r\n") {
		if len(line) > limit {
			t.Errorf("header line %d is %d octets, over %d: %q", i+1, len(line), limit, line)
		}
		if i > 0 && strings.TrimSpace(line) == "" {
			t.Errorf("header line %d is only white space", i+1)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("header line %d holds a bare CR or LF: %q", i+1, line)
		}
		for _, w := range encodedWord.FindAllString(line, -1) {
			words++
			if len(w) > 75 {
				t.Errorf("encoded word of %d characters, over 75: %s", len(w), w)
			}
		}
	}
	return words
}

// A subject or a name in any language, however long, reaches a relay
// that holds lines to RFC 5321's 1,000 octets in header lines of at most
// 78, and reads back exactly as it was written.
func TestHeadersAreEncodedAndFolded(t *testing.T) {
	prose := "Flood warning for the River Wend: residents of Mill Lane, Weir Street and the Riverside estate should move valuables upstairs, "
	ascii := strings.Repeat(prose, 8)[:1000]
	for _, tc := range []struct {
		name     string
		subject  string
		language string
		from, to string
		// want is the subject read back: the subject itself, unless it is
		// longer than maxSubject characters.
		want string
		// limit is the longest header line allowed: foldAt, unless a word
		// cannot be folded (RFC 5322 folds only at white space).
		limit int
	}{{
		name:     "Polish",
		subject:  "Ostrzeżenie powodziowe: rzeka Wend wyleje dziś w nocy. Worki z piaskiem są do odbioru w magazynie przy Mill Lane; zabierzcie leki, dokumenty i ładowarki",
		language: "pl",
		from:     `"Zespół Zarządzania Kryzysowego, Rada Gminy Northbridge" <emergency@northbridge.gov.uk>`,
		to:       "Oficer Dyżurny ds. Łączności Kryzysowej <duty.officer@northbridge.gov.uk>",
	}, {
		name:     "Urdu, right to left, after the exercise prefix",
		subject:  "EXERCISE EXERCISE EXERCISE انتباہ: دریائے وینڈ میں آج رات سیلاب کا خطرہ ہے۔ مل لین ڈپو پر ریت کے تھیلے دستیاب ہیں۔ براہ کرم اپنی دوائیں اور ضروری کاغذات ساتھ رکھیں",
		language: "ur",
		from:     "ہنگامی مواصلات، نارتھ برج بورو کونسل <emergency@northbridge.gov.uk>",
		to:       "ڈیوٹی افسر برائے ہنگامی رابطہ <duty.officer@northbridge.gov.uk>",
	}, {
		name:     "Welsh",
		subject:  "Rhybudd llifogydd difrifol: disgwylir i Afon Wysg orlifo heno — mae bagiau tywod ar gael yn nepo Lôn y Felin ac yn Nhŷ’r Cyngor; ewch â’ch moddion gyda chi",
		language: "cy",
		from:     "Tîm Cyfathrebu Argyfwng Cyngor Bwrdeistref Northbridge <emergency@northbridge.gov.uk>",
		to:       "Swyddog ar Ddyletswydd Tîm Cynllunio at Argyfyngau <duty.officer@northbridge.gov.uk>",
	}, {
		name:    "emoji",
		subject: "🚨🌊🚨🌊🚨🌊🚨🌊🚨🌊🚨🌊🚨🌊🚨🌊 Flood warning 🌊 River Wend 🏠 sandbags at Mill Lane 👨‍👩‍👧‍👦 check on neighbours 🇬🇧 ⚠️ 🐕",
		from:    "🚨 Emergency Communications 🚨 <emergency@northbridge.gov.uk>",
		to:      "Duty Officer 📟 <duty.officer@northbridge.gov.uk>",
	}, {
		name:    "1,000 ASCII characters",
		subject: ascii,
		from:    "Emergency Communications <emergency@northbridge.gov.uk>",
		to:      `"Duty Officer, Emergency Planning and Resilience Team, Northbridge Borough Council" <duty.officer@northbridge.gov.uk>`,
		want:    ascii[:maxSubject-1] + "…",
	}, {
		name:    "an ASCII word as long as a subject may be",
		subject: strings.Repeat("W", maxSubject),
		from:    "Emergency Communications <emergency@northbridge.gov.uk>",
		to:      "duty.officer@northbridge.gov.uk",
		limit:   len("Subject: ") + maxSubject,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				tc.want = tc.subject
			}
			if tc.limit == 0 {
				tc.limit = foldAt
			}
			// Content after DATA, where the relay counts each line.
			r := startRelay(t, relayMode{tls: NoTLS, noChunking: true})
			cfg := r.config(NoTLS)
			cfg.From = tc.from
			n := newNotifier(t, cfg)
			m := message(7, tc.to)
			m.Subject, m.Language, m.Exercise = tc.subject, tc.language, true
			m.AckURL = "https://crier.northbridge.gov.uk/ack/a-000001?d=007&t=Xy9"
			if retry, err := n.Notify(context.Background(), m); err != nil {
				t.Fatalf("retry %v, err %v", retry, err)
			}
			envs := r.Envelopes()
			if len(envs) != 1 {
				t.Fatalf("the relay got %d emails", len(envs))
			}
			words := checkHeaderLines(t, envs[0].Data, tc.limit)
			notASCII := strings.IndexFunc(tc.want+tc.from+tc.to, func(r rune) bool { return r > '~' }) >= 0
			if notASCII && words == 0 {
				t.Errorf("no encoded words in:\n%s", envs[0].Data)
			}

			head, parts := parse(t, envs[0].Data)
			subject, err := new(mime.WordDecoder).DecodeHeader(head.Get("Subject"))
			if err != nil || subject != tc.want {
				t.Errorf("Subject reads back as %q (%v), want %q", subject, err, tc.want)
			}
			for name, want := range map[string]string{"From": tc.from, "To": tc.to} {
				sent, _ := mail.ParseAddress(want)
				got, err := mail.ParseAddress(head.Get(name))
				if err != nil || *got != *sent {
					t.Errorf("%s reads back as %+v (%v), want %+v", name, got, err, sent)
				}
			}
			if !strings.HasPrefix(parts["text/plain"], ExerciseBanner+"\n\n") {
				t.Errorf("the text part does not open with the exercise banner:\n%s", parts["text/plain"])
			}
		})
	}
}

func TestWriteHeader(t *testing.T) {
	for _, tc := range []struct {
		name, value, want, err string
	}{
		{name: "X-Short", value: "a b", want: "X-Short: a b\r\n"},
		{
			name:  "Subject",
			value: strings.Repeat("word ", 20) + "end",
			want: "Subject: word word word word word word word word word word word word word word\r\n" +
				" word word word word word word end\r\n",
		},
		{
			// A word that does not fit after the name goes on the next line.
			name:  "Subject",
			value: strings.Repeat("x", 70),
			want:  "Subject:\r\n " + strings.Repeat("x", 70) + "\r\n",
		},
		{
			// No fold at a run of spaces, which some readers would shorten.
			name:  "X-Spaces",
			value: strings.Repeat("y", 60) + "   " + strings.Repeat("z", 30),
			want:  "X-Spaces: " + strings.Repeat("y", 60) + "   " + strings.Repeat("z", 30) + "\r\n",
		},
		{name: "X-Long", value: strings.Repeat("x", maxLine), err: "too long"},
		{name: "X-Injected", value: "a\r\nBcc: everyone@example.org", err: "line break"},
	} {
		var b bytes.Buffer
		err := writeHeader(&b, tc.name, tc.value)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want one saying %q", tc.name, err, tc.err)
			}
		case err != nil || b.String() != tc.want:
			t.Errorf("%s: %v\ngot  %q\nwant %q", tc.name, err, b.String(), tc.want)
		}
	}
}
