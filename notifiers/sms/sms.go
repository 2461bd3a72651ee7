// Package sms sends text messages through GOV.UK Notify, the government's
// messaging service that UK councils can use: a template whose body is
// ((body)), filled with each message. It measures texts as Notify does
// (Length), gives Notify's id for each text it accepts, and reads back
// what became of it (Status).
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/crierhq/crier/notifiers"
	"github.com/golang-jwt/jwt/v5"
)

// DefaultBaseURL is GOV.UK Notify's API.
const DefaultBaseURL = "https://api.notifications.service.gov.uk"

// Notifier sends SMS through GOV.UK Notify.
type Notifier struct {
	Client *http.Client
	// APIKey is a Notify API key: key name, service id and secret key.
	APIKey string
	// TemplateID is a Notify SMS template whose whole body is ((body)).
	TemplateID string
	BaseURL    string // DefaultBaseURL unless testing
	Now        func() time.Time
}

var (
	_ notifiers.Notifier     = (*Notifier)(nil)
	_ notifiers.Referencer   = (*Notifier)(nil)
	_ notifiers.StatusReader = (*Notifier)(nil)
)

// ErrDailyLimit is GOV.UK Notify refusing a text because the service has
// sent as many as it may today. It is not worth trying again the same day,
// so the text fails at once.
var ErrDailyLimit = errors.New("the GOV.UK Notify service has sent all the texts it may today")

// key splits a Notify API key into its service id and secret: the last
// two UUIDs of "{name}-{service id}-{secret}".
func key(apiKey string) (service, secret string, err error) {
	const uuid = 36
	if len(apiKey) < 2*uuid+1 {
		return "", "", errors.New("sms: the GOV.UK Notify API key is too short to hold a service id and secret")
	}
	return apiKey[len(apiKey)-2*uuid-1 : len(apiKey)-uuid-1], apiKey[len(apiKey)-uuid:], nil
}

// token is the short-lived JWT Notify asks for on every request.
func (n *Notifier) token() (string, error) {
	service, secret, err := key(n.APIKey)
	if err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Issuer:   service,
		IssuedAt: jwt.NewNumericDate(n.Now()),
	})
	return t.SignedString([]byte(secret))
}

type request struct {
	PhoneNumber     string            `json:"phone_number"`
	TemplateID      string            `json:"template_id"`
	Personalisation map[string]string `json:"personalisation"`
	Reference       string            `json:"reference,omitempty"`
}

// apiError is Notify's error body.
type apiError struct {
	StatusCode int `json:"status_code"`
	Errors     []struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Notify implements notifiers.Notifier.
func (n *Notifier) Notify(ctx context.Context, m notifiers.Message) (bool, error) {
	_, retry, err := n.NotifyRef(ctx, m)
	return retry, err
}

// NotifyRef implements notifiers.Referencer: it sends Text(subject, body)
// and returns Notify's id for it. A text longer than MaxLength fails at
// once, unsent, with a *TooLongError; one Notify refuses for its daily
// limit fails at once with ErrDailyLimit.
func (n *Notifier) NotifyRef(ctx context.Context, m notifiers.Message) (ref string, retry bool, err error) {
	text := Text(m.Subject, m.Body)
	if chars, _ := Length(text); chars > MaxLength {
		return "", false, fmt.Errorf("sms: %w", &TooLongError{Chars: chars})
	}
	body, err := json.Marshal(request{PhoneNumber: m.Target, TemplateID: n.TemplateID,
		Personalisation: map[string]string{"body": text}, Reference: m.Delivery})
	if err != nil {
		return "", false, err
	}
	status, data, retry, err := n.call(ctx, http.MethodPost, "/v2/notifications/sms", body)
	if err != nil {
		if status == http.StatusTooManyRequests && notifyError(data) == "TooManyRequestsError" {
			return "", false, fmt.Errorf("sms: %w (%s); this text is not tried again", ErrDailyLimit, describe(data))
		}
		return "", retry, err
	}
	var created struct {
		ID string `json:"id"`
	}
	// Accepted is sent: an answer without a readable id still counts as
	// sent, only without a receipt to read.
	_ = json.Unmarshal(data, &created)
	return created.ID, false, nil
}

// call makes one request to Notify with a fresh token, and classifies the
// answer as notifiers.CheckResponse does, adding Notify's own error text.
// Errors show Notify's host only, and never the key.
func (n *Notifier) call(ctx context.Context, method, path string, body []byte) (status int, data []byte, retry bool, err error) {
	tok, err := n.token()
	if err != nil {
		return 0, nil, false, err
	}
	base := n.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(base, "/")+path, rd)
	if err != nil {
		return 0, nil, false, fmt.Errorf("sms: %w", notifiers.RedactError(err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("User-Agent", "crier")
	resp, err := n.Client.Do(req)
	if err != nil {
		return 0, nil, true, fmt.Errorf("sms: GOV.UK Notify: %w", notifiers.RedactError(err))
	}
	defer resp.Body.Close()
	data, _ = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	retry, err = notifiers.CheckResponse(resp, n.Now())
	if err == nil {
		return resp.StatusCode, data, false, nil
	}
	if d := describe(data); d != "" {
		err = fmt.Errorf("%w: %s", err, d)
	}
	return resp.StatusCode, data, retry, fmt.Errorf("sms: GOV.UK Notify: %w", err)
}

// notifyError is the name of the first error in Notify's answer.
func notifyError(data []byte) string {
	var e apiError
	if json.Unmarshal(data, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Error
}

// describe is Notify's errors as "Name: message; …", or "".
func describe(data []byte) string {
	var e apiError
	if json.Unmarshal(data, &e) != nil {
		return ""
	}
	var msgs []string
	for _, x := range e.Errors {
		msgs = append(msgs, x.Error+": "+x.Message)
	}
	return strings.Join(msgs, "; ")
}
