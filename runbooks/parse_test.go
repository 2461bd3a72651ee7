package runbooks

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
)

var wantRE = regexp.MustCompile(`# want: (.*)$`)

// lineWants reads what each line of a test file wants, from its comment
// (re's first group), several split by sep, by line number.
func lineWants(data []byte, re *regexp.Regexp, sep string) map[int][]string {
	wants := map[int][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			wants[line] = append(wants[line], strings.Split(m[1], sep)...)
		}
	}
	return wants
}

// TestBadRunbooks parses every testdata/*.bad.yaml file. Each line that
// should carry an error ends with "# want: TEXT"; the test fails unless
// every error is on a line that wants it and every want is met.
func TestBadRunbooks(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yaml files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			wants := lineWants(data, wantRE, " # want: ")
			_, err = Parse(file, data)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse returned %v, want an ErrorList", err)
			}
			met := map[string]bool{}
			for _, d := range list {
				if d.Severity != SeverityError {
					continue
				}
				if d.File != file || d.Line < 1 || d.Column < 1 {
					t.Errorf("badly located: %s", d)
				}
				matched := false
				for i, w := range wants[d.Line] {
					if strings.Contains(d.Message, w) || strings.Contains(d.String(), w) {
						matched = true
						met[fmt.Sprint(d.Line, i)] = true
					}
				}
				if !matched {
					t.Errorf("unexpected error: %s", d)
				}
			}
			for line, ws := range wants {
				for i, w := range ws {
					if !met[fmt.Sprint(line, i)] {
						t.Errorf("line %d: no error containing %q; got:\n%v", line, w, list)
					}
				}
			}
		})
	}
}

func TestGoodRunbooks(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	for _, file := range append(files, exampleRunbooks(t)...) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			rb, err := Load(file)
			if err != nil {
				t.Fatalf("want valid, got:\n%v", err)
			}
			if ws := rb.Warnings(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); len(ws) > 0 {
				t.Errorf("unexpected warnings: %v", ws)
			}
		})
	}
}

// TestWholeFileErrors covers input that has no line to point at.
func TestWholeFileErrors(t *testing.T) {
	big := "version: 1\ndescription: |\n" + strings.Repeat("  lorem ipsum dolor sit amet\n", 40_000)
	manySteps := "version: 1\nid: many\ntitle: Many\nstakeholders: [{id: a, name: A, slack: U04ABCD1234}]\nchannels: [{id: log, type: log}]\nsteps:\n" +
		strings.Repeat("  - {id: s, title: S, at: 0s, notify: {to: [log], body: x}}\n", 1001)
	for _, tc := range []struct {
		name, src, want string
		line            int
	}{
		{"empty", "", "file is empty", 1},
		{"blank", "  \n\n\t\n", "file is empty", 1},
		{"comments only", "# nothing here\n# at all\n", "file has no YAML content", 1},
		{"too big", big, "file is larger than 1 MiB", 1},
		{"two documents", "version: 1\n---\nversion: 1\n", "more than one YAML document", 2},
		{"a list", "- version: 1\n", "expected a runbook (a mapping", 1},
		{"deep nesting", strings.Repeat("[", 20_000), "exceeded max depth", 1},
		{"too many steps", manySteps, "1001 items is too many; at most 1000 are allowed", 7},
		{"self alias", "version: 1\nid: x\ntitle: &t [*t]\n", "refers to a value that contains it", 3},
		{"alias bomb", string(aliasBomb()), "expand to more than 100198 values", 10},
		{"long aliased text", byteBomb(), "expand to more than 1 MiB of text", 4},
		{"not utf-8", "version: 1\ntitle: \xff\xfe\n", "not UTF-8", 1},
		{"missing version", "id: x\n", `missing required field "version" in runbook`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse("f.yaml", []byte(tc.src))
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			found := false
			for _, d := range list {
				if strings.Contains(d.Message, tc.want) && d.Line == tc.line {
					found = true
				}
			}
			if !found {
				t.Errorf("want an error at line %d containing %q, got:\n%v", tc.line, tc.want, list)
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Logf("slow: %v", elapsed) // reported, not asserted: the machine is shared
			}
		})
	}
}

func TestReviewByWarning(t *testing.T) {
	src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), "timezone: Europe/London", "timezone: Europe/London\nreview_by: 2026-06-30", 1)
	rb, err := Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// 23:00 BST on the review date: not yet past in London.
	if ws := rb.Warnings(time.Date(2026, 6, 30, 22, 0, 0, 0, time.UTC)); len(ws) != 0 {
		t.Errorf("on the review date itself: %v", ws)
	}
	ws := rb.Warnings(time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC))
	if len(ws) != 1 || ws[0].Line != 5 || !strings.Contains(ws[0].Message, "review_by \"2026-06-30\" has passed") {
		t.Errorf("want one review_by warning at line 5, got %v", ws)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestWarnings(t *testing.T) {
	src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), "  - id: public-slack\n    type: slack\n", "  - id: hook\n    type: webhook\n    url: http://partner.example.org/crier\n  - id: public-slack\n    type: slack\n", 1)
	src = strings.Replace(src, "      ack_within: 15m\n", "      ack_within: 15m\n      translations:\n        cy:\n          body: Digwyddiad\n", 1)
	rb, err := Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range rb.Warnings(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		got = append(got, fmt.Sprintf("%d: %s", w.Line, w.Message))
	}
	want := []string{
		`23: the url uses http, so messages to it cross the network unencrypted; use https`,
		`39: step "declare": no audience this message reaches lists language "cy", so this translation is never sent`,
		`39: step "declare": the cy translation has no subject, so its emails (channel "partners") use the main subject; add subject`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestURLsKeepSecretsOut(t *testing.T) {
	for url, want := range map[string]string{
		"${TEAMS_WEBHOOK_URL}":                               "",
		"https://partner.example.org/crier-hook":             "",
		"https://${PARTNER_HOST}/hook":                       "",
		"http://partner.example.org/hook":                    "", // a warning, not an error
		"${not valid}":                                       "not a valid environment variable reference",
		"${CRIER_HOOK_URL":                                   `"${CRIER_HOOK_URL" is not a valid environment variable reference`,
		"ftp://partner.example.org/hook":                     "not an https URL",
		"https://user:hunter2@partner.example.org/hook":      "user name or password",
		"https://hooks.slack.com/services/T000/B000/XXXXXX":  "hooks.slack.com webhook URLs contain their secret",
		"https://northbridge.webhook.office.com/webhookb2/x": "webhook.office.com webhook URLs contain their secret",
		"https://${HOST}/hook?token=abc123secret":            `the url's "token" parameter looks like a secret`,
	} {
		src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), "  - id: public-slack\n    type: slack\n",
			"  - id: hook\n    type: webhook\n    url: \""+url+"\"\n  - id: public-slack\n    type: slack\n", 1)
		_, err := Parse("u.yaml", []byte(src))
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", url, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: got %v, want %q", url, err, want)
		case err != nil && strings.Contains(url, "secret") && strings.Contains(err.Error(), "abc123secret"):
			t.Errorf("the error repeats the secret: %v", err)
		}
		if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "XXXXXX")) {
			t.Errorf("the error repeats the secret: %v", err)
		}
	}
}

// exampleRunbooks are the runbooks in examples/: every .yaml file but the
// configuration, crier.yaml.
func exampleRunbooks(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../examples/*.yaml")
	files = slices.DeleteFunc(files, func(f string) bool { return !IsRunbookFile(f) })
	if len(files) == 0 {
		t.Fatal("no example runbooks")
	}
	return files
}

// A template in a step title is sent as written, so it is warned about.
func TestTemplateInATitleIsWarnedAbout(t *testing.T) {
	src := strings.Replace(readFile(t, "testdata/minimal.good.yaml"), "title: Holding statement", "title: Holding statement for {{ .Params.venue }}", 1)
	rb, err := Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ws := rb.Warnings(time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC))
	if len(ws) != 1 || !strings.Contains(ws[0].Message, "a title is not a template") || ws[0].Path != "steps[1].title" {
		t.Errorf("warnings: %v", ws)
	}
}

// byteBomb is a runbook of a few aliases of a long string: few values, but
// 2 MiB of text from a 100 KiB file.
func byteBomb() string {
	return "version: 1\nid: x\ntitle: &t " + strings.Repeat("x", 100_000) + "\n" +
		"description: [" + strings.TrimSuffix(strings.Repeat("*t, ", 20), ", ") + "]\n"
}

// A file near the size limit without aliases is within the alias limits:
// its text is no more than it is written.
func TestBigFileWithoutAliases(t *testing.T) {
	data := manyStakeholders()
	if len(data) < MaxFileSize*3/4 {
		t.Fatalf("the file is %d bytes, want one near the limit", len(data))
	}
	if _, err := Parse("many.yaml", data); err != nil && strings.Contains(err.Error(), "alias") {
		t.Errorf("got %v", err)
	}
}
