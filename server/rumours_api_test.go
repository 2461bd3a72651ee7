package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Over the API, a rumour's second correction while the first waits for
// approval is refused (409) naming the first; once the first is approved
// the register names it, with when it went out.
func TestASecondCorrectionWaitsForTheFirst(t *testing.T) {
	f, clock := rumourFixture(t)
	_, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "rumours", "mode": "live"})
	id := a["id"].(string)
	_, rumour := f.call(token("Val"), "POST", "/api/v1/activations/"+id+"/rumours", map[string]any{"summary": "The bridge has collapsed"})
	rid := rumour["id"].(string)[strings.LastIndex(rumour["id"].(string), "/")+1:]
	base := "/api/v1/activations/" + id + "/rumours/" + rid
	if code, m := f.call(token("Hana"), "POST", base+"/assess", map[string]any{"verdict": "false"}); code != http.StatusOK {
		t.Fatalf("assessing: %d %v", code, m)
	}
	correct := func(body string) (int, map[string]any) {
		return f.call(token("Hana"), "POST", base+"/correction", map[string]any{"to": []string{"residents"}, "subject": "The bridge is open", "body": body})
	}
	code, m := correct("The bridge is open.")
	if code != http.StatusCreated {
		t.Fatalf("correcting: %d %v", code, m)
	}
	first := m["id"].(string)
	code, m = correct("The bridge is open and safe.")
	if msg, _ := m["error"].(string); code != http.StatusConflict || !strings.Contains(msg, first) || !strings.Contains(msg, "edit that one") {
		t.Errorf("a second correction while the first waits: %d %v", code, m)
	}
	clock.Set(start.Add(20 * time.Minute))
	if code, m := f.call(token("Dev"), "POST", "/api/v1/messages/"+first+"/approve", nil); code != http.StatusOK {
		t.Fatalf("approving: %d %v", code, m)
	}
	_, raw := f.call(token("Val"), "GET", "/api/v1/activations/"+id+"/rumours", nil)
	var list []struct {
		Correction  string    `json:"correction"`
		CorrectedAt time.Time `json:"corrected_at"`
	}
	if err := json.Unmarshal([]byte(raw["raw"].(string)), &list); err != nil {
		t.Fatalf("the register: %v %v", err, raw)
	}
	if len(list) != 1 || list[0].Correction != first || !list[0].CorrectedAt.Equal(start.Add(20*time.Minute)) {
		t.Errorf("the register: %+v; want correction %s at %s", list, first, start.Add(20*time.Minute))
	}
}

// A seen_at that is not a time is refused naming the field and showing a
// good one, never Go's layout; one in the future is refused, since a
// rumour is seen before it is logged; one a little ahead (clocks differ)
// or in the past is kept.
func TestARumoursSeenAtIsChecked(t *testing.T) {
	f, _ := rumourFixture(t)
	_, a := f.call(token("Priya"), "POST", "/api/v1/activations", map[string]any{"runbook": "rumours", "mode": "live"})
	path := "/api/v1/activations/" + a["id"].(string) + "/rumours"
	code, m := f.call(token("Val"), "POST", path, map[string]any{"summary": "x", "seen_at": "yesterday"})
	if msg, _ := m["error"].(string); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "seen_at") || !strings.Contains(msg, "such as 2026-07-01T14:30:00+01:00") ||
		strings.Contains(msg, "2006") || strings.Contains(msg, "parsing time") {
		t.Errorf("seen_at yesterday: %d %v", code, m)
	}
	code, m = f.call(token("Val"), "POST", path, map[string]any{"summary": "x", "seen_at": start.Add(time.Hour).Format(time.RFC3339)})
	if msg, _ := m["error"].(string); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "seen_at") || !strings.Contains(msg, "before it is logged") {
		t.Errorf("seen_at an hour ahead: %d %v", code, m)
	}
	for _, at := range []time.Time{start.Add(2 * time.Minute), start.Add(-3 * time.Hour)} {
		code, m = f.call(token("Val"), "POST", path, map[string]any{"summary": "x", "seen_at": at.Format(time.RFC3339)})
		if got, _ := time.Parse(time.RFC3339, fmt.Sprint(m["seen_at"])); code != http.StatusCreated || !got.Equal(at) {
			t.Errorf("seen_at %s: %d %v", at, code, m)
		}
	}
}
