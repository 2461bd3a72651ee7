package directory

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// FuzzDirectoryParse: Parse never panics, and either returns a directory
// whose every rota answers who is on duty, or a non-empty ErrorList whose
// every entry is located and says what is wrong.
func FuzzDirectoryParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(head))
	f.Add([]byte(head + "rotas:\n  - {id: r, name: R, people: [asha, bryn], start: 2026-03-29, handover: \"01:30\", overrides: [{person: bryn, from: \"2026-10-25 01:30\", until: \"2026-10-25 01:45\"}]}\n"))
	f.Add([]byte("kind: directory\nversion: 1\npeople: &p [{id: a, name: *p}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.yaml", data)
		if err == nil {
			for _, r := range d.Rotas {
				at := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)
				if _, err := d.OnDuty(string(r.ID), at); err != nil && d.rotas[r.ID].handover(0).Before(at) {
					t.Fatalf("rota %s: %v", r.ID, err)
				}
				d.Next(string(r.ID), at)
			}
			return
		}
		var list runbooks.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a non-empty ErrorList: %v", err)
		}
		for _, d := range list {
			if d.Line < 1 || d.Column < 1 || d.Message == "" {
				t.Fatalf("badly located: %+v", d)
			}
		}
	})
}

// FuzzPlainContacts: the fast checks of a list's addresses and numbers
// accept only what the runbooks' own checks accept, and plainNumber
// exactly that.
func FuzzPlainContacts(f *testing.F) {
	for _, s := range []string{"ada@example.org", "a.b+c@x.y", "a..b@x", ".a@x", "a@x.", "\"a b\"@x", "Ada <ada@example.org>",
		"+447700900123", "+0447700900123", "+4477", "+1234567890123456", "07700 900123", "a@[127.0.0.1]", "é@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainAddress(s) && runbooks.EmailProblem(s) != "" {
			t.Fatalf("plainAddress accepts %q, which net/mail refuses", s)
		}
		if plainNumber(s) != (runbooks.PhoneProblem(s) == "") {
			t.Fatalf("plainNumber(%q) = %v, unlike runbooks.PhoneProblem", s, plainNumber(s))
		}
	})
}
