package runbooks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse: Parse never panics, and either returns a runbook or located
// errors, and a runbook it returns can be planned.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	examples, _ := filepath.Glob("../examples/*.yaml")
	for _, file := range append(files, examples...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: 1\nid: x\ntitle: &t [*t]\n"))
	f.Add([]byte("steps: {<<: [*a]}\n"))
	start := time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := Parse("fuzz.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %v", err)
			}
			for _, d := range list {
				if d.Line < 1 || d.Column < 1 || d.Message == "" {
					t.Fatalf("badly located error: %+v", d)
				}
			}
			return
		}
		plan, err := Plan(rb, start, 2*DefaultHorizon, PlanOptions{Exercise: true})
		if err != nil {
			if !strings.Contains(err.Error(), "shorter horizon") {
				t.Fatalf("Plan: %v", err)
			}
			return
		}
		for i, o := range plan {
			if o.At.Before(start) || o.At.Sub(start) != o.Offset || (i > 0 && o.At.Before(plan[i-1].At)) {
				t.Fatalf("occurrence %d out of place: %+v", i, o)
			}
		}
	})
}
