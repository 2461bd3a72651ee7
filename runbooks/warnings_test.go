package runbooks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var warnRE = regexp.MustCompile(`# warn: (.*)$`)

// TestWarnedRunbooks parses every testdata/*.warn.yaml file: each is
// valid, and each line that should carry a warning ends with "# warn:
// TEXT"; the test fails unless every warning is on a line that wants it
// and every want is met.
func TestWarnedRunbooks(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.warn.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.warn.yaml files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			wants := lineWants(data, warnRE, " # warn: ")
			rb, err := Parse(file, data)
			if err != nil {
				t.Fatalf("want valid, got:\n%v", err)
			}
			met := map[string]bool{}
			for _, d := range rb.Warnings(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
				if d.Line < 1 || d.Column < 1 {
					t.Errorf("badly located: %s", d)
				}
				matched := false
				for i, w := range wants[d.Line] {
					if strings.Contains(d.Message, w) {
						matched = true
						met[fmt.Sprint(d.Line, i)] = true
					}
				}
				if !matched {
					t.Errorf("unexpected warning: %s", d)
				}
			}
			for line, ws := range wants {
				for i, w := range ws {
					if !met[fmt.Sprint(line, i)] {
						t.Errorf("line %d: no warning containing %q", line, w)
					}
				}
			}
		})
	}
}
