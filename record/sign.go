package record

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader signs a request from one node to another.
const SignatureHeader = "Crier-Cluster-Signature"

// signatureWindow is how old a signed request may be; within it, the
// receiver refuses one it has seen before.
const signatureWindow = 5 * time.Minute

// key derives a key for one use from the cluster's secret, so that what
// signs requests between nodes is not what proves Raft connections.
func key(secret, use string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("crier " + use))
	return mac.Sum(nil)
}

// Sign signs a request between nodes: its path and body, at now, with a
// key derived from the cluster's secret, under an id of its own, so that
// two requests alike in the same second are still two. The secret itself
// is never sent. The header is "t=<unix seconds>,id=<32 hex>,s=<64 hex>",
// lower-case: the only spelling CheckSignature accepts.
func Sign(secret, path string, body []byte, now time.Time) string {
	id := make([]byte, 16)
	rand.Read(id)
	t, idHex := strconv.FormatInt(now.Unix(), 10), hex.EncodeToString(id)
	return "t=" + t + ",id=" + idHex + ",s=" + hex.EncodeToString(signature(secret, path, t, idHex, body))
}

func signature(secret, path, t, id string, body []byte) []byte {
	mac := hmac.New(sha256.New, key(secret, "http"))
	mac.Write([]byte(path + "\n" + t + "\n" + id + "\n"))
	mac.Write(body)
	return mac.Sum(nil)
}

// Signed is what a good signature names: the request's own id and the
// signature's bytes, by which the receiver refuses a request seen before.
type Signed struct {
	ID        [16]byte
	Signature [sha256.Size]byte
}

var errNotSigned = errors.New("the request is not signed with the cluster's secret")

// CheckSignature checks a request's signature, in constant time, and that
// it was made within the last few minutes. Only the header exactly as Sign
// writes it is accepted — no other case, no missing or extra parts, no
// spaces — so a captured request cannot pass again under another spelling.
// The caller refuses a request whose Signed it has seen before.
func CheckSignature(header, secret, path string, body []byte, now time.Time) (Signed, error) {
	var signed Signed
	t, id, s, ok := parseSignature(header)
	if !ok || secret == "" {
		return signed, errNotSigned
	}
	unix, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return signed, errNotSigned
	}
	if age := now.Sub(time.Unix(unix, 0)); age > signatureWindow || age < -signatureWindow {
		return signed, fmt.Errorf("the request was signed %s from now: too long", age.Round(time.Second))
	}
	if _, err := hex.Decode(signed.ID[:], []byte(id)); err != nil {
		return signed, errNotSigned
	}
	if _, err := hex.Decode(signed.Signature[:], []byte(s)); err != nil {
		return signed, errNotSigned
	}
	if !hmac.Equal(signed.Signature[:], signature(secret, path, t, id, body)) {
		return signed, errNotSigned
	}
	return signed, nil
}

// parseSignature splits "t=<digits>,id=<32 hex>,s=<64 hex>", taking
// only digits without a leading zero and lower-case hex.
func parseSignature(h string) (t, id, s string, ok bool) {
	var rest string
	if t, rest, ok = field(h, "t=", false); !ok || !canonicalDigits(t) {
		return "", "", "", false
	}
	if id, rest, ok = field(rest, "id=", false); !ok || !LowerHex(id, 16) {
		return "", "", "", false
	}
	if s, rest, ok = field(rest, "s=", true); !ok || rest != "" || !LowerHex(s, sha256.Size) {
		return "", "", "", false
	}
	return t, id, s, true
}

// field takes name, then its value up to the next comma (all the rest
// when last).
func field(h, name string, last bool) (value, rest string, ok bool) {
	if h, ok = strings.CutPrefix(h, name); !ok || last {
		return h, "", ok
	}
	value, rest, ok = strings.Cut(h, ",")
	return value, rest, ok
}

func canonicalDigits(s string) bool {
	if s == "" || len(s) > 19 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// LowerHex reports whether s is exactly n bytes in lower-case hex: the one
// spelling of a signature crier accepts, its own and Slack's.
func LowerHex(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
