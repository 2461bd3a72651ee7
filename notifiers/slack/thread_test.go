package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/crierhq/crier/notifiers"
	"github.com/slack-go/slack"
)

// statement is a long public statement of about n characters: paragraphs
// of prose, one of many short lines, one with no spaces at all (a pasted
// link), and paragraphs in Urdu, Polish and emoji.
func statement(n int) string {
	paras := []string{
		"EXERCISE EXERCISE EXERCISE",
		strings.Repeat("Northbridge Borough Council is working with West Yorkshire Police and partners after the incident at Victoria Hall. ", 20),
		strings.TrimSpace(strings.Repeat("Rest centre open at Northbridge Leisure Centre, Mill Lane, from 18:00 tonight.\n", 40)),
		"https://northbridge.gov.uk/incident/" + strings.Repeat("victoria-hall-update-", 200),
		strings.Repeat("براہ کرم وکٹوریہ ہال کے علاقے سے دور رہیں اور سرکاری معلومات پر عمل کریں۔ ", 30),
		strings.Repeat("Prosimy omijać okolice Victoria Hall i śledzić komunikaty rady gminy. ", 30),
		strings.Repeat("🚨🏠🤝", 800),   // no spaces: emoji are 4 bytes each
		strings.Repeat("ابلاغ", 900), // no spaces, Urdu letters
	}
	for i := 1; utf8.RuneCountInString(strings.Join(paras, "\n\n")) < n; i++ {
		paras = append(paras, fmt.Sprintf("Update %d: ", i)+strings.Repeat("Please avoid the area and follow official advice only. ", 15))
	}
	return strings.Join(append(paras, "EXERCISE EXERCISE EXERCISE"), "\n\n")
}

// bodyOf is the body text a post carries: its plain_text sections (the
// banner and approval line are mrkdwn).
func bodyOf(p post) []string {
	var texts []string
	for _, b := range p.blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && s.Text.Type == slack.PlainTextType {
			texts = append(texts, s.Text.Text)
		}
	}
	return texts
}

// checkThread checks what the fake got for one delivery: a message in the
// channel and the rest as replies in its thread, numbered in order, each
// once, buttons and header on none but the first; and returns the body
// sections in order.
func checkThread(t *testing.T, posts []post) []string {
	t.Helper()
	var sections []string
	for i, p := range posts {
		if p.part != i+1 || p.parts != len(posts) {
			t.Errorf("post %d is part %d of %d, of %d posts", i, p.part, p.parts, len(posts))
		}
		if (i == 0) != (p.threadTS == "") || (i > 0 && (p.threadTS != posts[0].ts || p.channel != posts[0].channel)) {
			t.Errorf("part %d: channel %s thread %q; the first is %s %s", i+1, p.channel, p.threadTS, posts[0].channel, posts[0].ts)
		}
		var kinds []string
		for _, b := range p.blocks {
			kinds = append(kinds, string(b.BlockType()))
		}
		k := strings.Join(kinds, " ")
		if i > 0 && (strings.Contains(k, "header") || strings.Contains(k, "actions")) {
			t.Errorf("part %d has blocks %s", i+1, k)
		}
		sections = append(sections, bodyOf(p)...)
	}
	return sections
}

// A 20,000-character statement reaches Slack whole and in order, as a
// message and replies in its thread, every payload one Slack accepts. The
// sections, joined with only whitespace between them (the breaks crier
// cut at), are the statement.
func TestLongStatementGoesAsAThread(t *testing.T) {
	f := newFakeSlack(0, 1000)
	defer f.Close()
	m := drill
	m.AckRequested, m.Body = true, statement(20000)
	if retry, err := New("xoxb-test", f.URL+"/", http.DefaultClient).Notify(context.Background(), m); err != nil {
		t.Fatalf("retry %v, err %v", retry, err)
	}
	if len(f.refused) > 0 || len(f.posts) < 2 {
		t.Fatalf("Slack refused %v; took %d posts", f.refused, len(f.posts))
	}
	sections := checkThread(t, f.posts)
	if last := f.posts[0].blocks[len(f.posts[0].blocks)-2]; last.BlockType() != slack.MBTAction {
		t.Errorf("the first part's buttons are not above its context line: %+v", last)
	}
	for _, s := range sections {
		if !utf8.ValidString(s) || length(s) > maxSection {
			t.Errorf("section %.20q… measures %d, valid UTF-8 %v", s, length(s), utf8.ValidString(s))
		}
	}
	wholeAfterSplit(t, m.Body, sections)
}

// Just under and just over each limit, a message arrives whole, in as many
// posts and sections as the limits need.
func TestMessagesAtTheLimits(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	paras := func(n int, p string) string { return strings.TrimSpace(strings.Repeat(p+"\n\n", n)) }
	long := strings.Repeat("Subject ", 18) // 144 bytes
	for _, tc := range []struct {
		name            string
		subject, body   string
		posts, sections int
	}{
		{"a section of 3000", "", x(3000), 1, 1},
		{"a section of 3001", "", x(3001), 1, 2},
		{"body text of 9000 in a message", "", paras(3, x(2999)) + "\n\nxxx", 1, 4},
		{"body text of 9001", "", paras(3, x(2999)) + "\n\nxxxx", 2, 4},
		{"45 paragraphs (50 blocks, one to a paragraph)", "", paras(45, "Avoid the area."), 1, 1},
		{"46 paragraphs (51 blocks)", "", paras(46, "Avoid the area."), 1, 1},
		{"300 paragraphs", "", paras(300, "Avoid the area around Victoria Hall tonight."), 2, 5},
		{"a header of 150", long + "Updated", "Avoid the area.", 1, 1},
		{"a header of 151: the whole subject opens the body", long + "Updated!", "Avoid the area.", 1, 1},
		{"Urdu with no spaces", "", strings.Repeat("ابلاغ", 700), 1, 3},
		{"emoji with no spaces", "", strings.Repeat("🚨", 1500), 1, 2},
		{"& < > as entities", "", strings.Repeat("<&>", 250), 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSlack(0, 1000)
			defer f.Close()
			m := drill
			m.Subject, m.Body = tc.subject, tc.body
			if _, err := New("xoxb-test", f.URL+"/", http.DefaultClient).Notify(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(f.refused) > 0 || len(f.posts) != tc.posts {
				t.Fatalf("Slack refused %v; took %d posts, want %d", f.refused, len(f.posts), tc.posts)
			}
			var sections []string
			for _, p := range f.posts {
				sections = append(sections, bodyOf(p)...)
			}
			if len(sections) != tc.sections {
				t.Errorf("%d sections, want %d: %s", len(sections), tc.sections, summary(sections))
			}
			whole := tc.body
			if length(tc.subject) > maxHeader {
				whole = tc.subject + "\n\n" + tc.body
			}
			wholeAfterSplit(t, whole, sections)
			h, ok := f.posts[0].blocks[1].(*slack.HeaderBlock)
			if tc.subject != "" && (!ok || h.Text.Text != preview(tc.subject, maxHeader) || length(h.Text.Text) > maxHeader) {
				t.Errorf("header %+v", f.posts[0].blocks[1])
			}
		})
	}
}

// A part that fails for a moment is tried again without posting again the
// parts Slack already took; a part that fails for good lets the next try
// start over.
func TestRetryMidThread(t *testing.T) {
	m := drill
	m.Body = strings.TrimSpace(strings.Repeat(strings.Repeat("x", 2999)+"\n\n", 13)) // 3 sections a message: 5 parts
	for _, tc := range []struct {
		name   string
		status int
		retry  bool
		after  bool // the error says when to come back
		posts  int  // posts after the second try
	}{
		{"500", http.StatusInternalServerError, true, false, 5},
		{"429", http.StatusTooManyRequests, true, true, 5},
		{"404, for good", http.StatusNotFound, false, false, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSlack(0, 1000)
			defer f.Close()
			failed := false
			f.fail = func(_ string, n int) int {
				if n == 3 && !failed {
					failed = true
					return tc.status
				}
				return 0
			}
			n := New("xoxb-test", f.URL+"/", http.DefaultClient)
			retry, err := n.Notify(context.Background(), m)
			var ra *notifiers.RetryAfterError
			if err == nil || retry != tc.retry || errors.As(err, &ra) != tc.after || !strings.Contains(err.Error(), "part 3 of 5") {
				t.Fatalf("retry %v, err %v", retry, err)
			}
			if _, err := n.Notify(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			if len(f.posts) != tc.posts {
				t.Fatalf("%d posts, want %d", len(f.posts), tc.posts)
			}
			posts := f.posts[len(f.posts)-5:] // the whole thread, from the try that began it
			wholeAfterSplit(t, m.Body, checkThread(t, posts))
		})
	}
}

// Through the dispatcher: a reply that fails is retried, and the delivery
// is sent with every part once.
func TestDispatcherRetriesTheRestOfAThread(t *testing.T) {
	f := newFakeSlack(0, 1000)
	defer f.Close()
	f.fail = func(_ string, n int) int {
		if n == 2 {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	m := drill
	m.Body = statement(20000)
	rec := &outcomes{got: map[string]notifiers.Outcome{}}
	d := notifiers.NewDispatcher(notifiers.DispatchOptions{
		Routes:  map[string]notifiers.Route{"slack": {Notifier: New("xoxb-test", f.URL+"/", http.DefaultClient)}},
		Backoff: notifiers.Backoff{Initial: time.Millisecond, Max: time.Millisecond},
	}, rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	d.Submit(m)
	if err := d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if o := rec.got[m.Delivery]; o.Err != nil || o.Attempts != 2 {
		t.Fatalf("outcome %+v", o)
	}
	wholeAfterSplit(t, m.Body, checkThread(t, f.posts))
}

// The fake refuses what Slack refuses, with Slack's answers, so that the
// tests above would fail on a payload Slack would not take.
func TestFakeRefusesWhatSlackRefuses(t *testing.T) {
	f := newFakeSlack(0, 1000)
	defer f.Close()
	section := func(text string) slack.Block {
		return slack.NewSectionBlock(slack.NewTextBlockObject(slack.PlainTextType, text, false, false), nil, nil)
	}
	many := func(n int, b slack.Block) []slack.Block {
		bs := make([]slack.Block, n)
		for i := range bs {
			bs[i] = b
		}
		return bs
	}
	header := func(text string) []slack.Block {
		return []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, text, false, false))}
	}
	c := slack.New("xoxb-test", slack.OptionAPIURL(f.URL+"/"))
	for _, tc := range []struct {
		name   string
		blocks []slack.Block
		want   string // "" : accepted
	}{
		{"50 blocks", many(50, section("x")), ""},
		{"51 blocks", many(51, section("x")), "invalid_blocks"},
		{"a section of 3000", many(1, section(strings.Repeat("x", 3000))), ""},
		{"a section of 3001", many(1, section(strings.Repeat("x", 3001))), "invalid_blocks"},
		{"a header of 150", header(strings.Repeat("x", 150)), ""},
		{"a header of 151", header(strings.Repeat("x", 151)), "invalid_blocks"},
		{"12,000 in all", many(4, section(strings.Repeat("x", 3000))), ""},
		{"12,001 in all", append(many(4, section(strings.Repeat("x", 3000))), section("x")), "msg_blocks_too_long"},
	} {
		_, _, err := c.PostMessage("general", slack.MsgOptionText("x", false), slack.MsgOptionBlocks(tc.blocks...))
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, _, err := c.PostMessage("general", slack.MsgOptionText("x", false), slack.MsgOptionTS("1.000001")); fmt.Sprint(err) != "thread_not_found" {
		t.Errorf("a reply to no thread: %v", err)
	}
}
