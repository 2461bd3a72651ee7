package runbooks

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeFile(t *testing.T) {
	type inner struct {
		Rate float64 `yaml:"rate"`
		Mode string  `yaml:"mode" jsonschema:"enum=fast,enum=slow"`
	}
	type file struct {
		Version int      `yaml:"version" jsonschema:"required"`
		Names   []string `yaml:"names"`
		Inner   *inner   `yaml:"inner"`
	}
	var f file
	pos, err := DecodeFile("f.yaml", []byte("version: 1\nnames: [a, b]\ninner:\n  rate: 0.5\n  mode: fats\n  extra: 1\n"), "settings file", &f)
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("got %v, want two errors", err)
	}
	for i, want := range []string{`f.yaml:5:9: inner.mode: "fats" is not a valid mode; expected one of fast, slow; did you mean "fast"?`,
		`f.yaml:6:3: inner: unknown field "extra" in inner`} {
		if list[i].String() != want {
			t.Errorf("error %d = %s, want %s", i, list[i], want)
		}
	}
	if f.Version != 1 || strings.Join(f.Names, ",") != "a,b" || f.Inner == nil || f.Inner.Rate != 0.5 {
		t.Errorf("decoded %+v", f)
	}
	for path, want := range map[string]Pos{"": {1, 1}, "version": {1, 10}, "names[1]": {2, 12}, "inner": {4, 3}, "inner.rate": {4, 9}} {
		if pos[path] != want {
			t.Errorf("position of %q = %v, want %v", path, pos[path], want)
		}
	}

	_, err = DecodeFile("f.yaml", []byte("inner: {rate: fast}\n---\n"), "settings file", &f)
	if err == nil || !strings.Contains(err.Error(), "put each settings file in its own file") {
		t.Errorf("got %v", err)
	}
	pos, err = DecodeFile("f.yaml", []byte("inner: {rate: fast}\n"), "settings file", &file{})
	if err == nil || !strings.Contains(err.Error(), `f.yaml:1:15: inner.rate: expected a number, got "fast"`) ||
		!strings.Contains(err.Error(), `missing required field "version" in file`) || pos == nil {
		t.Errorf("got %v", err)
	}
}
