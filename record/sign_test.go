package record

import (
	"strings"
	"testing"
	"time"
)

// A node's request carries a signature, never the secret: another secret,
// another path or body, or an old signature is refused.
func TestRequestsBetweenNodesAreSigned(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	secret, body := "the-cluster-secret-0123456789", []byte("record_decision\n{}")
	sig := Sign(secret, "/internal/v1/apply", body, now)
	if _, err := CheckSignature(sig, secret, "/internal/v1/apply", body, now.Add(time.Minute)); err != nil {
		t.Errorf("a good signature: %v", err)
	}
	check := func(header, secret, path string, body []byte, at time.Time) error {
		_, err := CheckSignature(header, secret, path, body, at)
		return err
	}
	for name, err := range map[string]error{
		"another secret": check(sig, "another-secret-0123456789", "/internal/v1/apply", body, now),
		"another path":   check(sig, secret, "/internal/v1/join", body, now),
		"another body":   check(sig, secret, "/internal/v1/apply", []byte("record_decision\n{\"x\":1}"), now),
		"too old":        check(sig, secret, "/internal/v1/apply", body, now.Add(6*time.Minute)),
		"no signature":   check("", secret, "/internal/v1/apply", body, now),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Two requests alike, signed in the same second, are two: each has its
// own id, so the receiver does not take the second for a replay.
func TestRequestsAlikeHaveTheirOwnIDs(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	secret, body := "the-cluster-secret-0123456789", []byte("record_decision\n{}")
	a, err := CheckSignature(Sign(secret, "/p", body, now), secret, "/p", body, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CheckSignature(Sign(secret, "/p", body, now), secret, "/p", body, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID || a.Signature == b.Signature {
		t.Error("two requests signed alike")
	}
}

// respellings are the other spellings of a good signature header: the
// same bytes in another case, without t=, with spaces, with its parts
// moved or doubled, a time with a leading zero.
func respellings(sig string) map[string]string {
	t, rest, _ := strings.Cut(sig, ",id=")
	id, s, _ := strings.Cut(rest, ",s=")
	return map[string]string{
		"upper-case signature": t + ",id=" + id + ",s=" + strings.ToUpper(s),
		"upper-case id":        t + ",id=" + strings.ToUpper(id) + ",s=" + s,
		"mixed case":           t + ",id=" + id + ",s=" + upperFirstLetter(s),
		"without t=":           strings.TrimPrefix(t, "t=") + ",id=" + id + ",s=" + s,
		"spaces between":       t + ", id=" + id + ", s=" + s,
		"space inside":         t + ",id=" + id + ",s= " + s,
		"upper-case names":     "T=" + strings.TrimPrefix(t, "t=") + ",ID=" + id + ",S=" + s,
		"leading zero":         "t=0" + strings.TrimPrefix(t, "t=") + ",id=" + id + ",s=" + s,
		"plus sign":            "t=+" + strings.TrimPrefix(t, "t=") + ",id=" + id + ",s=" + s,
		"parts moved":          "id=" + id + "," + t + ",s=" + s,
		"a part twice":         t + ",id=" + id + ",s=" + s + ",s=" + s,
		"trailing comma":       sig + ",",
		"no id":                t + ",s=" + s,
	}
}

func TestOnlyOneSpellingOfASignature(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	secret, body := "the-cluster-secret-0123456789", []byte("record_decision\n{}")
	sig := Sign(secret, "/internal/v1/apply", body, now)
	if sig != strings.ToLower(sig) {
		t.Errorf("crier writes %q, not in lower case", sig)
	}
	for name, header := range respellings(sig) {
		if _, err := CheckSignature(header, secret, "/internal/v1/apply", body, now); err == nil {
			t.Errorf("%s (%q): accepted", name, header)
		}
	}
}

// upperFirstLetter writes the first of a-f in hex in capitals.
func upperFirstLetter(hex string) string {
	i := strings.IndexAny(hex, "abcdef")
	if i < 0 {
		return strings.ToUpper(hex)
	}
	return hex[:i] + strings.ToUpper(hex[i:i+1]) + hex[i+1:]
}
