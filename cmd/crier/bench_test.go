package main

import (
	"encoding/json"
	"testing"
)

// crier bench --fanout runs the fan-out through a crier serve process of
// its own too, and reads that process's peak resident set; it kills one
// in the middle of fan-outs, and after the restart nobody has lost a
// message, nor had one twice without the report saying so.
func TestBenchFanoutRunsCrierServe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts crier serve")
	}
	t.Setenv("CRIER_TEST_MAIN", "1") // this test binary, started as crier, is crier
	stdout, stderr, code := crier(t, "bench", "--fanout", "200", "--activations", "2", "--rounds", "1", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var figs []struct {
		Name          string
		Value         float64
		BaselineValue float64 `json:"baseline_value"`
	}
	if err := json.Unmarshal([]byte(stdout), &figs); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	got := map[string]float64{}
	for _, f := range figs {
		got[f.Name] = f.Value
	}
	if got["fanout_serve_process_rate"] <= 0 || got["fanout_serve_process_peak_rss"] <= 0 {
		t.Errorf("the crier serve process's figures: %s", stdout)
	}
	if _, ok := got["crash_lost"]; !ok || got["crash_lost"] != 0 || got["crash_duplicates_unmarked"] != 0 || got["crash_restart_to_all_sent"] <= 0 {
		t.Errorf("killed and restarted: %s", stdout)
	}
}
