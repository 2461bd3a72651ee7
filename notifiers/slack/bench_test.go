package slack

import (
	"testing"
	"time"

	"github.com/crierhq/crier/notifiers"
)

// BenchmarkChannels posts 500 messages across 50 channels to a fake that
// enforces Slack's limits (a message a second per channel), paced as the
// configuration's defaults pace them, and compares the rate achieved with
// the most the limits allow: ten messages to a channel take at least 9s.
//
//	go test -run XXX -bench Channels -benchtime 1x ./notifiers/slack/
func BenchmarkChannels(b *testing.B) {
	const channels, each = 50, 10
	for b.Loop() {
		f := newFakeSlack(time.Second, 100)
		ms := toChannels(channels, each)
		start := time.Now()
		got := send(b, f, func(n *Notifier) notifiers.Route { return n.Route(1, 100) }, ms)
		took := time.Since(start)
		f.Close()
		lost, duplicated := 0, 0
		for _, m := range ms {
			switch n := f.delivered[m.Delivery]; {
			case n == 0 || got[m.Delivery].Err != nil:
				lost++
			case n > 1:
				duplicated += n - 1
			}
		}
		allowed := float64(each-1) * time.Second.Seconds()
		b.ReportMetric(float64(len(ms))/took.Seconds(), "msgs/s")
		b.ReportMetric(allowed/took.Seconds(), "x_limit")
		b.ReportMetric(100*float64(f.limited)/float64(f.total), "%429s")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(duplicated), "duplicated")
	}
}
