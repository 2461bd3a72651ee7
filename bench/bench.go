// Package bench measures crier's engine, and crier serve's whole path on a
// fan-out against loopback fakes of Slack and an SMTP relay, against
// baselines taken in the same run, because on a shared machine only ratios
// mean much. crier bench and the package's go test benchmarks both use it.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Figure is one measurement and its baseline.
type Figure struct {
	Name          string  `json:"name"`
	Value         float64 `json:"value"`
	Unit          string  `json:"unit"`
	Baseline      string  `json:"baseline"`
	BaselineValue float64 `json:"baseline_value"`
	Ratio         float64 `json:"ratio"` // value / baseline_value
	Target        string  `json:"target"`
}

func figure(name string, value float64, unit, baseline string, baselineValue float64, target string) Figure {
	ratio := 0.0
	if baselineValue != 0 {
		ratio = value / baselineValue
	}
	return Figure{Name: name, Value: value, Unit: unit, Baseline: baseline, BaselineValue: baselineValue, Ratio: ratio, Target: target}
}

// Options size a run.
type Options struct {
	Pending    int // occurrences pending from other activations
	Robfig     int // entries loaded into robfig/cron for the baseline
	Deliveries int // delivery records for the memory figure
	Outcomes   int // delivery outcomes applied for the throughput figure
	Samples    int // activations or timers timed for latency figures
	Commands   int // commands applied for the record's throughput figure
	Restart    int // commands in the record restarted for the restart figure

	Log *slog.Logger
}

// Run takes every measurement.
func Run(ctx context.Context, o Options) ([]Figure, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var out []Figure
	for _, m := range []func(context.Context, Options) ([]Figure, error){
		SchedulerLoad, FiringLateness, ActivationToDelivery, DeliveryMemory, OutcomeThroughput,
		RecordApply, RecordActivationToDelivery, RecordRestart,
	} {
		figs, err := m(ctx, o)
		if err != nil {
			return out, err
		}
		out = append(out, figs...)
	}
	return out, nil
}

// percentile of durations, p in [0, 100].
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Table writes figures for people.
func Table(w io.Writer, figs []Figure) {
	fmt.Fprintf(w, "%-34s %14s %-8s %-46s %14s %9s  %s\n", "FIGURE", "VALUE", "UNIT", "BASELINE", "BASELINE VALUE", "RATIO", "TARGET")
	for _, f := range figs {
		fmt.Fprintf(w, "%-34s %14.4g %-8s %-46s %14.4g %9.3g  %s\n", f.Name, f.Value, f.Unit, f.Baseline, f.BaselineValue, f.Ratio, f.Target)
	}
}

// runbookSource is a runbook for benchmarks: weekly steps that stay
// pending for weeks; with now, a notify at activation to a log channel;
// with emails, an email channel with that many recipients and a notify to it.
func runbookSource(weekly int, now bool, emails int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nid: bench\ntitle: Bench\nstakeholders:\n  - {id: duty, name: Duty officer, slack: U04ABCD1234}\n")
	b.WriteString("channels:\n  - {id: log, type: log}\n")
	if emails > 0 {
		b.WriteString("  - id: mail\n    type: email\n    to:\n")
		for i := range emails {
			fmt.Fprintf(&b, "      - person%d@northbridge.gov.uk\n", i)
		}
	}
	b.WriteString("steps:\n")
	if now {
		b.WriteString("  - {id: now, title: Now, at: 0s, notify: {to: [log], subject: s, body: b}}\n")
	}
	if emails > 0 {
		b.WriteString("  - {id: mail-all, title: Mail, every: \"@every 1m\", start: 0s, notify: {to: [mail], subject: s, body: b}}\n")
	}
	for i := range weekly {
		fmt.Fprintf(&b, "  - {id: weekly-%d, title: W, every: \"0 9 * * 1\", start: 30d, notify: {to: [log], body: b}}\n", i)
	}
	return []byte(b.String())
}
