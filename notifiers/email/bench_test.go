package email

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
	gomail "github.com/wneessen/go-mail"
)

// benchRecipients is how many people each run of a benchmark tells.
const benchRecipients = 10000

// BenchmarkIdentical sends one warning to 10,000 recipients through the
// notifier (emails of 50, four connections, four senders at once) and, as
// a baseline, the way a naive notifier does: one email per recipient with
// go-mail's Send over one reused connection. The relay is on loopback and
// throws the emails away, so this measures the client.
func BenchmarkIdentical(b *testing.B) {
	ms := staff(benchRecipients)
	bench(b, ms, func(n *Notifier) { inBatches(b, n, ms) })
}

// BenchmarkPersonalised sends 10,000 recipients each their own
// acknowledgement link, so one email each, as the dispatcher hands them
// over: batches of MaxBatch sharing a BatchKey, four at once, each batch a
// pipelined series of emails on one of the four connections.
func BenchmarkPersonalised(b *testing.B) {
	ms := staff(benchRecipients)
	for i := range ms {
		ms[i].AckURL = fmt.Sprintf("https://crier.northbridge.gov.uk/ack/a-000001/%05d", i)
	}
	bench(b, ms, func(n *Notifier) { inBatches(b, n, ms) })
}

// inBatches sends ms through n in batches of MaxBatch, four at once.
func inBatches(b *testing.B, n *Notifier, ms []notifiers.Message) {
	batches := make(chan []notifiers.Message)
	go func() {
		for i := 0; i < len(ms); i += n.MaxBatch() {
			batches <- ms[i:min(i+n.MaxBatch(), len(ms))]
		}
		close(batches)
	}()
	parallel(b, n.cfg.Connections, func() {
		for batch := range batches {
			for _, res := range n.NotifyBatch(context.Background(), batch) {
				if res.Err != nil {
					b.Error(res.Err)
				}
			}
		}
	})
}

// bench times send (the notifier) and the naive baseline on the same
// messages, and reports both rates and their ratio.
func bench(b *testing.B, ms []notifiers.Message, send func(*Notifier)) {
	r := startRelay(b, relayMode{tls: NoTLS, discard: true})
	var ours, naive time.Duration
	for b.Loop() {
		cfg := r.config(NoTLS)
		cfg.MaxRecipientsPerMessage, cfg.Connections = 50, 4
		n, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		send(n)
		ours += time.Since(start)
		n.Close()

		start = time.Now()
		baseline(b, r, ms)
		naive += time.Since(start)
	}
	rate := float64(b.N*len(ms)) / ours.Seconds()
	naiveRate := float64(b.N*len(ms)) / naive.Seconds()
	b.ReportMetric(rate, "recipients/s")
	b.ReportMetric(naiveRate, "baseline_recipients/s")
	b.ReportMetric(rate/naiveRate, "x_baseline")
}

// baseline sends each message as its own email with go-mail's Client.Send
// over one connection: what a notifier without batching does.
func baseline(b *testing.B, r *relay, ms []notifiers.Message) {
	c, err := gomail.NewClient(r.Host, gomail.WithPort(r.Port), gomail.WithTLSPolicy(gomail.NoTLS))
	if err != nil {
		b.Fatal(err)
	}
	if err := c.DialWithContext(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, m := range ms {
		msg := gomail.NewMsg()
		if err := msg.From("Emergency Communications <emergency@northbridge.gov.uk>"); err != nil {
			b.Fatal(err)
		}
		if err := msg.To(m.Target); err != nil {
			b.Fatal(err)
		}
		msg.Subject(m.Subject)
		msg.SetGenHeader("Auto-Submitted", "auto-generated")
		msg.SetBodyString(gomail.TypeTextPlain, plainText(m))
		msg.AddAlternativeString(gomail.TypeTextHTML, htmlText(m))
		if err := c.Send(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// parallel runs f in k goroutines and waits for them.
func parallel(b *testing.B, k int, f func()) {
	b.Helper()
	var wg sync.WaitGroup
	for range k {
		wg.Go(f)
	}
	wg.Wait()
}
