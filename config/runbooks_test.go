package config

import (
	"strings"
	"testing"
)

// Left out, runbooks is empty: crier serve offers the built-in examples.
// Written as an empty list, it is refused, at its line, saying so.
func TestRunbooksLeftOutOrEmpty(t *testing.T) {
	c, _, err := Parse("crier.yaml", []byte("version: 1\n"), nil)
	if err != nil || c.Runbooks != nil {
		t.Errorf("left out: %v, %v", c.Runbooks, err)
	}
	_, _, err = Parse("crier.yaml", []byte("version: 1\nrunbooks: []\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "crier.yaml:2:11: runbooks: needs at least 1") {
		t.Errorf("an empty list: %v", err)
	}
}
