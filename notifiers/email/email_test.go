package email

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/crierhq/crier/notifiers"
)

const (
	username = "crier@northbridge.gov.uk"
	password = "Fl00d-Wend-s3cret"
	sender   = "emergency@northbridge.gov.uk"
)

// message is one recipient's delivery of the flood warning.
func message(i int, target string) notifiers.Message {
	return notifiers.Message{
		Delivery: fmt.Sprintf("a-000001/holding-statement/1/r2/%03d", i), Message: "a-000001/holding-statement/1", Revision: 2, Activation: "a-000001",
		Runbook: "flood-response", Step: "holding-statement", Type: "email", Target: target,
		Subject: "Flood warning: River Wend",
		Body:    "The River Wend is expected to flood tonight.\n\nSandbags are at the Mill Lane depot.",
	}
}

// staff is the flood warning to n council officers.
func staff(n int) []notifiers.Message {
	ms := make([]notifiers.Message, n)
	for i := range ms {
		ms[i] = message(i+1, fmt.Sprintf("officer%03d@northbridge.gov.uk", i+1))
	}
	return ms
}

func newNotifier(t *testing.T, cfg Config) *Notifier {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// sent checks that every message was accepted.
func sent(t *testing.T, results []notifiers.Result) {
	t.Helper()
	for i, r := range results {
		if r.Err != nil {
			t.Errorf("message %d: %v", i, r.Err)
		}
	}
}

// parse reads an email as a mail client would: its headers, and its
// parts by media type.
func parse(t *testing.T, data string) (mail.Header, map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("the email does not parse: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts[pt] = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	return msg.Header, parts
}

func TestBatchIsOneEmailWithHiddenRecipients(t *testing.T) {
	r := startRelay(t, relayMode{tls: StartTLS, username: username, password: password})
	cfg := r.config(StartTLS)
	cfg.Username, cfg.Password = username, password
	n := newNotifier(t, cfg)
	ms := staff(50)
	sent(t, n.NotifyBatch(context.Background(), ms))

	envs := r.Envelopes()
	if len(envs) != 1 {
		t.Fatalf("the relay got %d emails, want 1 for 50 recipients", len(envs))
	}
	env := envs[0]
	if env.From != sender || len(env.To) != 50 || env.To[0] != ms[0].Target || env.To[49] != ms[49].Target || !env.TLS {
		t.Errorf("envelope from %q to %d recipients (%v … %v), TLS %v", env.From, len(env.To), env.To[0], env.To[len(env.To)-1], env.TLS)
	}
	head, _ := parse(t, env.Data)
	if to := head.Get("To"); !strings.Contains(to, sender) {
		t.Errorf("To: %q, want the sender's own address", to)
	}
	for _, m := range ms {
		if strings.Contains(env.Data, m.Target) {
			t.Fatalf("the email names recipient %s, so every recipient sees the others", m.Target)
		}
	}
	if head.Get("Precedence") != "bulk" || head.Get("X-Crier-Delivery") != "" {
		t.Errorf("Precedence %q, X-Crier-Delivery %q: want bulk, and no one recipient's delivery",
			head.Get("Precedence"), head.Get("X-Crier-Delivery"))
	}
	if r.Connections() != 1 {
		t.Errorf("%d connections for one email", r.Connections())
	}
}

func TestMoreThanMaxRecipientsIsSeveralEmails(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	sent(t, n.NotifyBatch(context.Background(), staff(120)))
	var sizes []int
	for _, e := range r.Envelopes() {
		sizes = append(sizes, len(e.To))
	}
	if fmt.Sprint(sizes) != "[50 50 20]" {
		t.Errorf("emails to %v recipients, want [50 50 20]", sizes)
	}
}

// bothWays runs a test against a relay that offers PIPELINING and one that
// does not.
func bothWays(t *testing.T, test func(t *testing.T, mode relayMode)) {
	t.Run("pipelining with chunking", func(t *testing.T) { test(t, relayMode{tls: NoTLS}) })
	t.Run("pipelining with DATA", func(t *testing.T) { test(t, relayMode{tls: NoTLS, noChunking: true}) })
	t.Run("one command at a time", func(t *testing.T) { test(t, relayMode{tls: NoTLS, noPipelining: true, noChunking: true}) })
}

func TestBadMailboxFailsOnlyItsOwnMessage(t *testing.T) { bothWays(t, badMailbox) }

func badMailbox(t *testing.T, mode relayMode) {
	r := startRelay(t, mode)
	n := newNotifier(t, r.config(NoTLS))
	ms := staff(20)
	ms[7].Target = "bad@northbridge.gov.uk"
	results := n.NotifyBatch(context.Background(), ms)

	for i, res := range results {
		if i == 7 {
			if res.Err == nil || res.Retry {
				t.Fatalf("bad mailbox: retry %v, err %v; want a permanent failure", res.Retry, res.Err)
			}
			for _, want := range []string{"bad@northbridge.gov.uk", "550", "Mailbox unavailable"} {
				if !strings.Contains(res.Err.Error(), want) {
					t.Errorf("error %q does not say %q", res.Err, want)
				}
			}
		} else if res.Err != nil {
			t.Errorf("message %d to %s failed with the bad one: %v", i, ms[i].Target, res.Err)
		}
	}
	envs := r.Envelopes()
	if len(envs) != 1 || len(envs[0].To) != 19 {
		t.Fatalf("emails %d, want one to the 19 good recipients", len(envs))
	}
}

func TestWelsh(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	ms := staff(2)
	for i := range ms {
		ms[i].Language = "cy"
		ms[i].Subject = "Rhybudd llifogydd: Afon Wysg"
		ms[i].Body = "Disgwylir i afon Wysg orlifo heno. Mae bagiau tywod ar gael yn y depo — ŵ ŷ."
	}
	sent(t, n.NotifyBatch(context.Background(), ms))
	head, parts := parse(t, r.Envelopes()[0].Data)
	subject, err := new(mime.WordDecoder).DecodeHeader(head.Get("Subject"))
	if err != nil || subject != ms[0].Subject {
		t.Errorf("Subject %q (%v), want %q", subject, err, ms[0].Subject)
	}
	if head.Get("Content-Language") != "cy" || !strings.Contains(head.Get("Message-ID"), ".cy.") {
		t.Errorf("Content-Language %q, Message-ID %q: want the language in both", head.Get("Content-Language"), head.Get("Message-ID"))
	}
	if !strings.Contains(parts["text/plain"], ms[0].Body) || !strings.Contains(parts["text/html"], `<html lang="cy">`) ||
		!strings.Contains(parts["text/html"], "depo — ŵ ŷ.") {
		t.Errorf("parts:\n%s\n%s", parts["text/plain"], parts["text/html"])
	}
}

func TestBusyMailboxIsRetriedWithTheSameMessageID(t *testing.T) { bothWays(t, busyMailbox) }

func busyMailbox(t *testing.T, mode relayMode) {
	r := startRelay(t, mode)
	n := newNotifier(t, r.config(NoTLS))
	ms := []notifiers.Message{message(1, "officer001@northbridge.gov.uk"), message(2, "busy@northbridge.gov.uk"),
		message(3, "full@northbridge.gov.uk"), message(4, "officer004@northbridge.gov.uk")}
	results := n.NotifyBatch(context.Background(), ms)
	if results[0].Err != nil || results[3].Err != nil {
		t.Fatalf("good recipients failed: %v, %v", results[0].Err, results[3].Err)
	}
	for i, code := range map[int]string{1: "451", 2: "452"} {
		if !results[i].Retry || results[i].Err == nil || !strings.Contains(results[i].Err.Error(), code) ||
			!strings.Contains(results[i].Err.Error(), ms[i].Target) {
			t.Errorf("%s: retry %v, err %v; want a temporary failure naming it and %s", ms[i].Target, results[i].Retry, results[i].Err, code)
		}
	}

	// The dispatcher tries the failed ones again.
	results = n.NotifyBatch(context.Background(), []notifiers.Message{ms[1], ms[2]})
	if results[0].Err != nil {
		t.Errorf("busy mailbox on the second try: %v", results[0].Err)
	}
	if !results[1].Retry {
		t.Errorf("full mailbox on the second try: retry %v, err %v", results[1].Retry, results[1].Err)
	}
	envs := r.Envelopes()
	if len(envs) != 2 || fmt.Sprint(envs[1].To) != "[busy@northbridge.gov.uk]" {
		t.Fatalf("emails %+v", envs)
	}
	first, _ := parse(t, envs[0].Data)
	retry, _ := parse(t, envs[1].Data)
	id := first.Get("Message-ID")
	if !regexp.MustCompile(`^<a-000001\.holding-statement\.1\.r2\.[0-9a-f]{12}@northbridge\.gov\.uk>$`).MatchString(id) {
		t.Errorf("Message-ID %q, want the delivery group, a content hash and the sender's domain", id)
	}
	if retry.Get("Message-ID") != id {
		t.Errorf("Message-ID %q on the retry, %q the first time: a receiving system cannot drop the copy", retry.Get("Message-ID"), id)
	}
}

func TestEmailToOnePerson(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	m := message(7, "Duty Officer <duty.officer@northbridge.gov.uk>")
	m.Exercise = true
	m.Subject = "EXERCISE: Flood warning: River Wend"
	m.Body = "EXERCISE: Flood warning <script>alert(1)</script>\nRoads <b>closed</b> & diverted.\n\nSandbags at the depot."
	m.AckURL = "https://crier.northbridge.gov.uk/ack/a-000001?d=007&t=Xy9"
	if retry, err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("retry %v, err %v", retry, err)
	}
	envs := r.Envelopes()
	if len(envs) != 1 || fmt.Sprint(envs[0].To) != "[duty.officer@northbridge.gov.uk]" {
		t.Fatalf("emails %+v", envs)
	}
	head, parts := parse(t, envs[0].Data)

	subject, _ := new(mime.WordDecoder).DecodeHeader(head.Get("Subject"))
	for name, want := range map[string]string{
		"From":                     `"Emergency Communications" <emergency@northbridge.gov.uk>`,
		"To":                       `"Duty Officer" <duty.officer@northbridge.gov.uk>`,
		"Auto-Submitted":           "auto-generated",
		"X-Auto-Response-Suppress": "All",
		"List-Id":                  "<flood-response.crier.northbridge.gov.uk>",
		"X-Crier-Delivery":         "a-000001/holding-statement/1/r2/007",
		"X-Crier-Activation":       "a-000001",
		"Precedence":               "",
	} {
		if got := head.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if subject != m.Subject {
		t.Errorf("Subject %q, want %q with no second exercise prefix", subject, m.Subject)
	}
	if _, err := head.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := head.Get("Message-ID"); !regexp.MustCompile(`^<a-000001\.holding-statement\.1\.r2\.007\.[0-9a-f]{12}@northbridge\.gov\.uk>$`).MatchString(id) {
		t.Errorf("Message-ID %q, want the personalised message's whole delivery id", id)
	}

	plain, page := parts["text/plain"], parts["text/html"]
	if !strings.HasPrefix(plain, ExerciseBanner+"\n\n"+m.Body) || !strings.Contains(plain, "Acknowledge: "+m.AckURL) {
		t.Errorf("text part:\n%s", plain)
	}
	for _, want := range []string{
		"EXERCISE — this is a drill, not a real incident",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"<p>EXERCISE: Flood warning &lt;script&gt;alert(1)&lt;/script&gt;<br>\nRoads &lt;b&gt;closed&lt;/b&gt; &amp; diverted.</p>",
		"<p>Sandbags at the depot.</p>",
		`Acknowledge: <a href="https://crier.northbridge.gov.uk/ack/a-000001?d=007&amp;t=Xy9">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<b>") {
		t.Errorf("HTML part runs the body's markup:\n%s", page)
	}
}

func TestNoExerciseBannerInARealIncident(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	sent(t, n.NotifyBatch(context.Background(), staff(2)))
	_, parts := parse(t, r.Envelopes()[0].Data)
	for _, part := range []string{"text/plain", "text/html"} {
		if strings.Contains(parts[part], "EXERCISE") || strings.Contains(parts[part], "Acknowledge") {
			t.Errorf("%s part:\n%s", part, parts[part])
		}
	}
}

func TestMixedContentIsSplit(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	ms := staff(4)
	ms[1].Body, ms[3].Body = "Different words.", "Different words."
	sent(t, n.NotifyBatch(context.Background(), ms))
	envs := r.Envelopes()
	if len(envs) != 2 || len(envs[0].To) != 2 || len(envs[1].To) != 2 {
		t.Fatalf("emails %+v, want two of two recipients", envs)
	}
}

func TestAddressThatDoesNotParseNeverReachesTheRelay(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	ms := staff(3)
	ms[1].Target = "flood team at the depot"
	results := n.NotifyBatch(context.Background(), ms)
	if results[1].Retry || results[1].Err == nil || !strings.Contains(results[1].Err.Error(), `"flood team at the depot" is not an email address`) {
		t.Errorf("retry %v, err %v", results[1].Retry, results[1].Err)
	}
	if results[0].Err != nil || results[2].Err != nil {
		t.Errorf("the good ones: %v, %v", results[0].Err, results[2].Err)
	}
	if envs := r.Envelopes(); len(envs) != 1 || len(envs[0].To) != 2 {
		t.Fatalf("emails %+v", envs)
	}

	if retry, err := n.Notify(context.Background(), ms[1]); err == nil || retry || r.Connections() != 1 {
		t.Errorf("alone: retry %v, err %v, %d connections", retry, err, r.Connections())
	}
}

func TestWrongPasswordFailsWithoutShowingIt(t *testing.T) {
	r := startRelay(t, relayMode{tls: StartTLS, username: username, password: password})
	cfg := r.config(StartTLS)
	cfg.Username, cfg.Password = username, "Wrong-"+password
	n := newNotifier(t, cfg)
	retry, err := n.Notify(context.Background(), message(1, "officer001@northbridge.gov.uk"))
	// Permanent: trying a refused password again and again locks the
	// council's mail account.
	if err == nil || retry {
		t.Fatalf("retry %v, err %v; want a permanent failure", retry, err)
	}
	if !strings.Contains(err.Error(), "535") || !strings.Contains(err.Error(), "officer001@northbridge.gov.uk") {
		t.Errorf("error %q does not name the recipient and the server's 535", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("the error shows the password: %v", err)
	}
	if len(r.Envelopes()) != 0 {
		t.Error("the relay accepted an email without a login")
	}
}

func TestImplicitTLS(t *testing.T) {
	r := startRelay(t, relayMode{tls: ImplicitTLS, username: username, password: password})
	cfg := r.config(ImplicitTLS)
	cfg.Username, cfg.Password = username, password
	n := newNotifier(t, cfg)
	sent(t, n.NotifyBatch(context.Background(), staff(3)))
	if envs := r.Envelopes(); len(envs) != 1 || !envs[0].TLS {
		t.Fatalf("emails %+v, want one over TLS", envs)
	}
}

func TestNoTLS(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	sent(t, n.NotifyBatch(context.Background(), staff(3)))
	if envs := r.Envelopes(); len(envs) != 1 || envs[0].TLS {
		t.Fatalf("emails %+v, want one in clear", envs)
	}
}

func TestUntrustedCertificateIsTemporary(t *testing.T) {
	r := startRelay(t, relayMode{tls: StartTLS})
	cfg := r.config(StartTLS)
	cfg.TLSConfig = nil // the relay's certificate is self-signed
	n := newNotifier(t, cfg)
	retry, err := n.Notify(context.Background(), message(1, "officer001@northbridge.gov.uk"))
	if err == nil || !retry || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("retry %v, err %v; want a temporary failure about the certificate", retry, err)
	}
	if len(r.Envelopes()) != 0 {
		t.Error("sent without trusting the relay")
	}
}

func TestConnectionIsReused(t *testing.T) {
	r := startRelay(t, relayMode{tls: StartTLS})
	n := newNotifier(t, r.config(StartTLS))
	for i := range 10 {
		if _, err := n.Notify(context.Background(), message(i, fmt.Sprintf("officer%03d@northbridge.gov.uk", i))); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.Envelopes()) != 10 || r.Connections() != 1 {
		t.Errorf("%d emails over %d connections, want 10 over 1", len(r.Envelopes()), r.Connections())
	}
}

func TestConnectionsAreNeverExceeded(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	cfg := r.config(NoTLS)
	cfg.Connections = 3
	n := newNotifier(t, cfg)
	var wg sync.WaitGroup
	failed := make(chan error, 20*10)
	for g := range 20 {
		wg.Go(func() {
			ms := staff(10)
			for i := range ms {
				ms[i].Delivery = fmt.Sprintf("a-000001/step-%d/1/r1/%03d", g, i)
			}
			for _, res := range n.NotifyBatch(context.Background(), ms) {
				if res.Err != nil {
					failed <- res.Err
				}
			}
		})
	}
	wg.Wait()
	close(failed)
	for err := range failed {
		t.Error(err)
	}
	if len(r.Envelopes()) != 20 || r.Connections() > 3 {
		t.Errorf("%d emails over %d connections, want 20 over at most 3", len(r.Envelopes()), r.Connections())
	}
}

func TestDroppedConnectionIsTemporaryAndRedialled(t *testing.T) { bothWays(t, droppedConnection) }

func droppedConnection(t *testing.T, mode relayMode) {
	r := startRelay(t, mode)
	n := newNotifier(t, r.config(NoTLS))
	ms := staff(3)
	ms[1].Target = "drop@northbridge.gov.uk"
	for i, res := range n.NotifyBatch(context.Background(), ms) {
		if res.Err == nil || !res.Retry {
			t.Errorf("message %d: retry %v, err %v; want a temporary failure", i, res.Retry, res.Err)
		}
	}
	if len(r.Envelopes()) != 0 {
		t.Fatal("an email got through a dropped connection")
	}
	sent(t, n.NotifyBatch(context.Background(), staff(3)))
	if len(r.Envelopes()) != 1 || r.Connections() != 2 {
		t.Errorf("%d emails over %d connections after the drop, want 1 over a second", len(r.Envelopes()), r.Connections())
	}
}

func TestIdleConnectionClosedByTheRelayIsRedialled(t *testing.T) {
	r := startRelay(t, relayMode{tls: StartTLS})
	n := newNotifier(t, r.config(StartTLS))
	if _, err := n.Notify(context.Background(), message(1, "officer001@northbridge.gov.uk")); err != nil {
		t.Fatal(err)
	}
	r.HangUp()
	if _, err := n.Notify(context.Background(), message(2, "officer002@northbridge.gov.uk")); err != nil {
		t.Fatalf("after the relay closed the idle connection: %v", err)
	}
	if len(r.Envelopes()) != 2 || r.Connections() != 2 {
		t.Errorf("%d emails over %d connections, want 2 over 2", len(r.Envelopes()), r.Connections())
	}
}

func TestCancelledContext(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	retry, err := n.Notify(ctx, message(1, "officer001@northbridge.gov.uk"))
	if !retry || !errors.Is(err, context.Canceled) || r.Connections() != 0 {
		t.Errorf("cancelled before: retry %v, err %v, %d connections", retry, err, r.Connections())
	}

	ctx, cancel = context.WithCancel(context.Background())
	go func() {
		<-r.stalled // the relay is sitting on slow@'s answer
		cancel()
	}()
	ms := staff(2)
	ms[1].Target = "slow@northbridge.gov.uk"
	for i, res := range n.NotifyBatch(ctx, ms) {
		if !res.Retry || !errors.Is(res.Err, context.Canceled) {
			t.Errorf("cancelled during: message %d: retry %v, err %v", i, res.Retry, res.Err)
		}
	}
	if len(r.Envelopes()) != 0 {
		t.Error("an email got through after the cancel")
	}
	sent(t, n.NotifyBatch(context.Background(), staff(2)))
}

func TestClose(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	sent(t, n.NotifyBatch(context.Background(), staff(2)))
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), message(3, "officer003@northbridge.gov.uk"))
	if err == nil || !retry || !strings.Contains(err.Error(), "closed") {
		t.Errorf("after Close: retry %v, err %v", retry, err)
	}
}

// A subject cannot add a header, however it was written, and a very long
// one is cut to what mail clients show.
func TestSubjectStaysOneHeader(t *testing.T) {
	r := startRelay(t, relayMode{tls: NoTLS})
	n := newNotifier(t, r.config(NoTLS))
	ms := staff(2)
	ms[0].Subject = "Flood warning\r\nBcc: everyone@example.org\r\n\r\nInjected"
	ms[1].Subject = "Llifogydd: " + strings.Repeat("Afon Wysg ", 60)
	for _, m := range ms {
		sent(t, n.NotifyBatch(context.Background(), []notifiers.Message{m}))
	}
	envs := r.Envelopes()
	head, _ := parse(t, envs[0].Data)
	if head.Get("Bcc") != "" || head.Get("Subject") != "Flood warning Bcc: everyone@example.org Injected" {
		t.Errorf("Bcc %q, Subject %q", head.Get("Bcc"), head.Get("Subject"))
	}
	head, _ = parse(t, envs[1].Data)
	got, err := new(mime.WordDecoder).DecodeHeader(head.Get("Subject"))
	if err != nil || len([]rune(got)) != maxSubject || !strings.HasSuffix(got, "…") {
		t.Errorf("long subject: %d characters: %q", len([]rune(got)), got)
	}
}
