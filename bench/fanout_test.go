package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// BenchmarkFanout is crier bench --fanout at 10,000 people:
//
//	go test -run XXX -bench Fanout -benchtime 1x ./bench/
func BenchmarkFanout(b *testing.B) {
	for b.Loop() {
		figs, err := Fanout(context.Background(), FanoutOptions{People: benchPeople, Rounds: 1})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range figs {
			b.Logf("%s: %.4g %s (%s: %.4g, ratio %.3g)", f.Name, f.Value, f.Unit, f.Baseline, f.BaselineValue, f.Ratio)
		}
	}
}

var benchPeople = envInt("CRIER_FANOUT_PEOPLE", 10_000)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// BenchmarkMany is ten activations of 10,000 at once:
//
//	go test -run XXX -bench Many -benchtime 1x ./bench/
func BenchmarkMany(b *testing.B) {
	for b.Loop() {
		figs, err := Many(context.Background(), FanoutOptions{People: benchPeople}, 10)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range figs {
			b.Logf("%s: %.4g %s (%s: %.4g, ratio %.3g)", f.Name, f.Value, f.Unit, f.Baseline, f.BaselineValue, f.Ratio)
		}
	}
}

// crier bench --fanout runs end to end: every path sends to every person
// (run checks it), and each rate and time has its value and its baseline.
func TestFanoutRuns(t *testing.T) {
	o := FanoutOptions{People: 300, Rounds: 1}
	figs, err := Fanout(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	many, err := Many(t.Context(), o, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(figs, many...) {
		timed := f.Unit == "sends/s" || f.Unit == "ms"
		if timed && (f.Value <= 0 || f.BaselineValue <= 0) {
			t.Errorf("%s: %g against %g", f.Name, f.Value, f.BaselineValue)
		}
	}
	if len(figs) != 5 || len(many) != 5 {
		t.Errorf("%d fan-out figures and %d for many at once; want 5 and 5", len(figs), len(many))
	}
}
