package record

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
// key derived from the cluster's secret. The secret itself is never sent.
func Sign(secret, path string, body []byte, now time.Time) string {
	t := strconv.FormatInt(now.Unix(), 10)
	return "t=" + t + ",s=" + hex.EncodeToString(signature(secret, path, t, body))
}

func signature(secret, path, t string, body []byte) []byte {
	mac := hmac.New(sha256.New, key(secret, "http"))
	mac.Write([]byte(path + "\n" + t + "\n"))
	mac.Write(body)
	return mac.Sum(nil)
}

// CheckSignature checks a request's signature, in constant time, and that
// it was made within the last few minutes. The caller refuses a signature
// it has seen before.
func CheckSignature(header, secret, path string, body []byte, now time.Time) error {
	t, s, ok := strings.Cut(strings.TrimPrefix(header, "t="), ",s=")
	unix, err := strconv.ParseInt(t, 10, 64)
	if !ok || err != nil || secret == "" {
		return fmt.Errorf("the request is not signed with the cluster's secret")
	}
	if age := now.Sub(time.Unix(unix, 0)); age > signatureWindow || age < -signatureWindow {
		return fmt.Errorf("the request was signed %s from now: too long", age.Round(time.Second))
	}
	got, err := hex.DecodeString(s)
	if err != nil || !hmac.Equal(got, signature(secret, path, t, body)) {
		return fmt.Errorf("the request is not signed with the cluster's secret")
	}
	return nil
}
