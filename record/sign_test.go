package record

import (
	"testing"
	"time"
)

// A node's request carries a signature, never the secret: another secret,
// another path or body, or an old signature is refused.
func TestRequestsBetweenNodesAreSigned(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	secret, body := "the-cluster-secret-0123456789", []byte("record_decision\n{}")
	sig := Sign(secret, "/internal/v1/apply", body, now)
	if err := CheckSignature(sig, secret, "/internal/v1/apply", body, now.Add(time.Minute)); err != nil {
		t.Errorf("a good signature: %v", err)
	}
	for name, err := range map[string]error{
		"another secret": CheckSignature(sig, "another-secret-0123456789", "/internal/v1/apply", body, now),
		"another path":   CheckSignature(sig, secret, "/internal/v1/join", body, now),
		"another body":   CheckSignature(sig, secret, "/internal/v1/apply", []byte("record_decision\n{\"x\":1}"), now),
		"too old":        CheckSignature(sig, secret, "/internal/v1/apply", body, now.Add(6*time.Minute)),
		"no signature":   CheckSignature("", secret, "/internal/v1/apply", body, now),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
