package runbooks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	rb, err := Load("testdata/plan.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 16 March 2026, 10:00 GMT; the clocks go forward on 29 March.
	start := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		exercise bool
		horizon  time.Duration
		want     []string
	}{
		{name: "live", horizon: DefaultHorizon, want: []string{
			"0s declare#1 notify approval=false to=log",
			"30m0s statement#1 notify approval=true to=log",
			"1h30m0s brief#1 task approval=false to=lead after=declare,statement",
			"1h30m0s debrief#1 task approval=false to=lead after=brief",
			"4h0m0s monitor#1 task approval=false to=lead",
			"8h0m0s monitor#2 task approval=false to=lead",
			"12h0m0s monitor#3 task approval=false to=lead",
			"167h0m0s recovery#1 notify approval=false to=log", // Mon 23 March 09:00 GMT
			"334h0m0s recovery#2 notify approval=false to=log", // Mon 30 March 09:00 BST = 08:00Z
		}},
		{name: "exercise redirects notify steps and adds injects", exercise: true, horizon: 2 * time.Hour, want: []string{
			"0s declare#1 notify approval=false to=drill",
			"30m0s statement#1 notify approval=true to=drill",
			"45m0s rumour#1 inject approval=false to=lead",
			"1h30m0s brief#1 task approval=false to=lead after=declare,statement",
			"1h30m0s debrief#1 task approval=false to=lead after=brief",
		}},
		{name: "horizon is inclusive", horizon: 30 * time.Minute, want: []string{
			"0s declare#1 notify approval=false to=log",
			"30m0s statement#1 notify approval=true to=log",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := Plan(rb, start, tc.horizon, PlanOptions{Exercise: tc.exercise})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range plan {
				line := fmt.Sprintf("%s %s#%d %s approval=%v to=%s", o.Offset, o.Step, o.Occurrence, o.Kind, o.Approval, strings.Join(o.To, ","))
				if len(o.After) > 0 {
					line += " after=" + strings.Join(o.After, ",")
				}
				got = append(got, line)
				if !o.At.Equal(start.Add(o.Offset)) {
					t.Errorf("%s: at %v is not start+offset", o.Step, o.At)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestPlanJSON(t *testing.T) {
	rb, err := Load("testdata/plan.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)
	plan, err := Plan(rb, start, DefaultHorizon, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(plan[len(plan)-1])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"offset":"334h0m0s","offset_seconds":1202400,"at":"2026-03-30T08:00:00Z","step":"recovery","title":"Weekly recovery group","kind":"notify","occurrence":2,"approval":false,"to":["log"]}`
	if string(data) != want {
		t.Errorf("got  %s\nwant %s", data, want)
	}
}

func TestPlanRefusesHugeExpansions(t *testing.T) {
	src := strings.Replace(readFile(t, "testdata/plan.good.yaml"), `every: "@every 4h"`, `every: "@every 1m"`, 1)
	src = strings.Replace(src, "until: 12h", "", 1)
	rb, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Plan(rb, time.Now(), 365*24*time.Hour, PlanOptions{}); err == nil || !strings.Contains(err.Error(), "shorter horizon") {
		t.Errorf("got %v, want a horizon error", err)
	}
}
