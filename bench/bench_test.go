package bench

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkEngine takes every figure at a moderate size and reports each
// figure's value and its ratio to its same-run baseline.
func BenchmarkEngine(b *testing.B) {
	for b.Loop() {
		figs, err := Run(context.Background(), Options{Pending: 100_000, Robfig: 10_000, Deliveries: 200_000, Outcomes: 100_000, Samples: 200, Commands: 50_000, Restart: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range figs {
			b.ReportMetric(f.Value, f.Name+"_"+strings.ReplaceAll(f.Unit, "/", "per"))
			b.ReportMetric(f.Ratio, f.Name+"_x-baseline")
		}
	}
}

// TestRunSmall checks the harness works end to end at a small size; it
// asserts nothing about speed.
func TestRunSmall(t *testing.T) {
	figs, err := Run(context.Background(), Options{Pending: 1000, Robfig: 100, Deliveries: 2000, Outcomes: 2000, Samples: 20, Commands: 500, Restart: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 12 {
		t.Fatalf("%d figures, want 12", len(figs))
	}
	for _, f := range figs {
		if f.Value <= 0 || f.BaselineValue <= 0 || f.Ratio <= 0 {
			t.Errorf("figure %s has no value: %+v", f.Name, f)
		}
	}
}
