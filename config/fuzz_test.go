package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/crierhq/crier/runbooks"
)

// FuzzConfigParse: Parse never panics, and either returns a configuration
// or a non-empty ErrorList whose every entry is located and says what is
// wrong; its warnings are located too.
func FuzzConfigParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range append(files, "../examples/crier.yaml") {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("version: 1\nserver: &s {listen: *s}\n"))
	f.Add([]byte("version: 1\nsmtp: {password: ${SMTP_PASSWORD}}\n"))
	f.Add([]byte("version: 1\nusers: [{name: ${EMPTY_VAR}, token: ${UNSET}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, warnings, err := Parse("fuzz.yaml", data, lookupIn(testEnv))
		located := func(what string, list []runbooks.Diagnostic) {
			for _, d := range list {
				if d.Line < 1 || d.Column < 1 || d.Message == "" {
					t.Fatalf("badly located %s: %+v", what, d)
				}
			}
		}
		located("warning", warnings)
		if err == nil {
			return
		}
		var list runbooks.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a non-empty ErrorList: %v", err)
		}
		located("error", list)
	})
}
