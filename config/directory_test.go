package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crierhq/crier/runbooks"
)

// directory: names the directory file relative to the configuration, and
// is refused, located, when it is not a .yaml file that is there.
func TestDirectoryField(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "runbooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runbooks", "directory.yaml"), []byte("kind: directory\nversion: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "crier.yaml")
	c, _, err := Parse(name, []byte("version: 1\ndirectory: runbooks/directory.yaml\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.DirectoryPath(), filepath.Join(dir, "runbooks", "directory.yaml"); got != want {
		t.Errorf("DirectoryPath() = %q, want %q", got, want)
	}
	if d := Default().DirectoryPath(); d != "" {
		t.Errorf("the default names a directory: %q", d)
	}

	for _, c := range []struct{ value, want string }{
		{"runbooks/people.yaml", `2:12: directory: "runbooks/people.yaml": there is no such file (crier looks for it at ` + filepath.Join(dir, "runbooks", "people.yaml")},
		{"runbooks/people.csv", `2:12: directory: "runbooks/people.csv" is not a directory file; expected a .yaml file, such as directory.yaml`},
		{"runbooks.yaml/", `2:12: directory: "runbooks.yaml/" is not a directory file`},
		{`""`, `2:12: directory: directory is empty; give the directory file`},
		{"${CRIER_DIRECTORY}", `2:12: directory: the value of ${CRIER_DIRECTORY}: there is no such file (a relative path is relative to this file)`},
	} {
		lookup := func(string) (string, bool) { return "elsewhere/directory.yaml", true }
		_, _, err := Parse(name, []byte("version: 1\ndirectory: "+c.value+"\n"), lookup)
		var list runbooks.ErrorList
		if !errors.As(err, &list) || len(list) != 1 || !strings.Contains(list[0].String(), c.want) {
			t.Errorf("directory: %s: got %v, want %q", c.value, err, c.want)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "folder.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Parse(name, []byte("version: 1\ndirectory: folder.yaml\n"), nil); err == nil || !strings.Contains(err.Error(), "is a folder; name the directory file in it") {
		t.Errorf("a folder: %v", err)
	}
}

// DirectoryNamed reads directory: apart from the environment, as Check
// does; one given as a reference cannot be found that way, and says so
// where it is written.
func TestDirectoryNamed(t *testing.T) {
	dir := t.TempDir()
	write := func(src string) string {
		path := filepath.Join(dir, "crier.yaml")
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if err := os.WriteFile(filepath.Join(dir, "people.yaml"), []byte("kind: directory\nversion: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := write("version: 1\ndirectory: people.yaml\nserver:\n  link_secret: ${CRIER_LINK_SECRET}\n")
	if got, err := DirectoryNamed(cfg); err != nil || got != filepath.Join(dir, "people.yaml") {
		t.Errorf("got %q, %v", got, err)
	}
	if got, err := DirectoryNamed(write("version: 1\n")); err != nil || got != "" {
		t.Errorf("none: got %q, %v", got, err)
	}
	_, err := DirectoryNamed(write("version: 1\ndirectory: ${CRIER_DIRECTORY}\n"))
	if err == nil || !strings.Contains(err.Error(), "crier.yaml:2:12: directory: ${CRIER_DIRECTORY} is resolved only where crier runs on this file") {
		t.Errorf("a reference: %v", err)
	}
	if _, err := DirectoryNamed(write("version: 1\ndirectory: gone.yaml\n")); err == nil || !strings.Contains(err.Error(), `"gone.yaml": there is no such file`) {
		t.Errorf("a file not there: %v", err)
	}
}
