// Package sms sends text messages through GOV.UK Notify, the government's
// messaging service that UK councils can use: a template whose body is
// ((body)), filled with each message.
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

var _ notifiers.Notifier = (*Notifier)(nil)

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
	tok, err := n.token()
	if err != nil {
		return false, err
	}
	text := m.Body
	if m.Subject != "" && !strings.HasPrefix(text, m.Subject) {
		text = m.Subject + "\n\n" + text
	}
	body, err := json.Marshal(request{PhoneNumber: m.Target, TemplateID: n.TemplateID,
		Personalisation: map[string]string{"body": text}, Reference: m.Delivery})
	if err != nil {
		return false, err
	}
	base := n.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/v2/notifications/sms", bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("sms: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("User-Agent", "crier")
	resp, err := n.Client.Do(req)
	if err != nil {
		return true, fmt.Errorf("sms: GOV.UK Notify: %w", notifiers.RedactError(err))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	retry, err := notifiers.CheckResponse(resp, n.Now())
	if err == nil {
		return false, nil
	}
	var e apiError
	if json.Unmarshal(data, &e) == nil && len(e.Errors) > 0 {
		var msgs []string
		for _, x := range e.Errors {
			msgs = append(msgs, x.Error+": "+x.Message)
		}
		err = fmt.Errorf("%w: %s", err, strings.Join(msgs, "; "))
	}
	return retry, fmt.Errorf("sms: GOV.UK Notify: %w", err)
}
