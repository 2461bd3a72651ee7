package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Standard Webhooks headers (https://www.standardwebhooks.com), on every
// request beside the X-Crier ones, so that a receiver can check a request
// with an off-the-shelf library.
const (
	HeaderWebhookID        = "webhook-id"        // the delivery id: the same on a retry, for de-duplication
	HeaderWebhookTimestamp = "webhook-timestamp" // Unix seconds when the request was signed
	HeaderWebhookSignature = "webhook-signature" // v1,base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))
)

// SecretPrefix begins a secret in the Standard Webhooks form: whsec_ and
// the key in base64.
const SecretPrefix = "whsec_"

// StandardKey is the key of the Standard Webhooks signature for a
// configured signing secret. A secret in the Standard Webhooks form
// (whsec_ and base64, padded or not) is that key, so the receiver's
// library takes the same secret. Any other secret is the key as it is: the
// receiver's library takes "whsec_" and the secret's base64, or the
// secret itself in its raw form. The X-Crier signature always uses the
// whole secret as it is.
func StandardKey(secret []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(secret, []byte(SecretPrefix))
	if !ok {
		return secret, nil
	}
	key, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(string(rest), "="))
	if err != nil || len(key) == 0 {
		return nil, errors.New("the signing secret begins " + SecretPrefix +
			" but the rest is not a key in base64; write it as " + SecretPrefix +
			" and the base64 of the key, or use a secret that does not begin " + SecretPrefix)
	}
	return key, nil
}

// SignStandard is the Standard Webhooks v1 signature of a request: "v1,"
// and the base64 HMAC-SHA256, with key, of the id, the timestamp and the
// body joined by dots. The id must hold no dot (crier's delivery ids hold
// none), so that no two requests sign the same text.
func SignStandard(key []byte, id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte("."))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
