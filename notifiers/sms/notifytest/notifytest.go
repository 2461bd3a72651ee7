// Package notifytest is a fake GOV.UK Notify for tests: the text message
// part of its API (POST /v2/notifications/sms, GET /v2/notifications/{id}),
// checking each request as Notify does, in the order Notify does, and
// answering with Notify's own shapes and words (alphagov/notifications-api).
package notifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/crierhq/crier/notifiers/sms"
	"github.com/golang-jwt/jwt/v5"
)

// Server is one Notify service with one text message template whose body
// is ((body)). It is an http.Handler: serve it with httptest.NewServer, or
// reach it without a network through Client, as a test inside a
// testing/synctest bubble must. Set its fields before the first request.
type Server struct {
	ServiceID  string
	Secret     string // the API key's secret: tokens must be signed with it
	TemplateID string
	Now        func() time.Time // time.Now when nil
	// DailyLimit, when above 0, is how many texts the service may send in
	// a day (by Now's date, in UTC), as a Notify service's message limit.
	DailyLimit int
	// RateLimit, when above 0, is how many texts the key may send in any
	// 60 seconds (Notify's is 3,000).
	RateLimit int

	mu       sync.Mutex
	texts    []*Text
	requests int // sends asked for, accepted or not
	sends    []time.Time
	failNext []failure
	fates    map[string][]string
}

// Text is a text message the fake accepted.
type Text struct {
	ID          string // Notify's notification id
	PhoneNumber string
	Body        string // as the phone would show it, before Notify's tidying
	Reference   string // the sender's own reference
	SentAt      time.Time
	fate        []string
	reads       int
}

type failure struct {
	status        int
	name, message string
}

// Fate sets the statuses a text to number shows, one per read of it: the
// first read sees the first, and the last is kept. A text to a number with
// no fate is delivered.
func (s *Server) Fate(number string, statuses ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fates == nil {
		s.fates = map[string][]string{}
	}
	s.fates[number] = statuses
}

// FailNext answers the next send, once it is authorised, with an error in
// Notify's shape: FailNext(400, "ValidationError", "phone_number Not a UK
// mobile number").
func (s *Server) FailNext(status int, name, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, failure{status, name, message})
}

// Sent is the texts accepted so far, in order.
func (s *Server) Sent() []Text {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Text, len(s.texts))
	for i, t := range s.texts {
		out[i] = *t
	}
	return out
}

// Requests is how many sends the fake was asked for, accepted or refused.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Client reaches the fake in memory, whatever host a URL names.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: direct{s}}
}

type direct struct{ h http.Handler }

func (d direct) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	w := httptest.NewRecorder()
	d.h.ServeHTTP(w, req)
	resp := w.Result()
	resp.Request = req
	return resp, nil
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

var notificationPath = regexp.MustCompile(`^/v2/notifications/([^/]+)$`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status, name, msg := s.authorise(r); status != 0 {
		answerError(w, status, name, msg)
		return
	}
	switch m := notificationPath.FindStringSubmatch(r.URL.EscapedPath()); {
	case r.Method == http.MethodPost && r.URL.Path == "/v2/notifications/sms":
		s.send(w, r)
	case r.Method == http.MethodGet && m != nil && m[1] != "sms":
		id, _ := url.PathUnescape(m[1])
		s.read(w, id)
	default:
		answerError(w, http.StatusNotFound, "ResourceNotFound", "The requested URL was not found on the server.")
	}
}

// authorise checks the token as Notify does: HS256 with the key's secret,
// iss the service id, iat within 30 seconds of now.
func (s *Server) authorise(r *http.Request) (int, string, string) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || bearer == "" {
		return http.StatusUnauthorized, "AuthError", "Unauthorized: authentication token must be provided"
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(bearer, claims, func(*jwt.Token) (any, error) { return []byte(s.Secret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(s.now))
	if err != nil {
		return http.StatusForbidden, "AuthError", "Invalid token: API key not found"
	}
	if iss, _ := claims.GetIssuer(); iss != s.ServiceID {
		return http.StatusForbidden, "AuthError", "Invalid token: service not found"
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return http.StatusForbidden, "AuthError", "Invalid token: make sure your API token matches the example at https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
	}
	if d := s.now().Sub(iat.Time); d > 30*time.Second || d < -30*time.Second {
		return http.StatusForbidden, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
	}
	return 0, "", ""
}

type sendRequest struct {
	PhoneNumber     string            `json:"phone_number"`
	TemplateID      string            `json:"template_id"`
	Personalisation map[string]string `json:"personalisation"`
	Reference       string            `json:"reference"`
}

// send takes a text as Notify's post_notification does: rate limit, daily
// limit, the request, the template, then the length.
func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	s.requests++
	now := s.now()
	recent := s.sends[:0]
	for _, at := range s.sends {
		if now.Sub(at) < time.Minute {
			recent = append(recent, at)
		}
	}
	s.sends = recent
	if s.RateLimit > 0 && len(s.sends) >= s.RateLimit {
		answerError(w, http.StatusTooManyRequests, "RateLimitError",
			fmt.Sprintf("Exceeded rate limit for key type LIVE of %d requests per 60 seconds", s.RateLimit))
		return
	}
	s.sends = append(s.sends, now)
	if s.DailyLimit > 0 && s.sentOn(now) >= s.DailyLimit {
		answerError(w, http.StatusTooManyRequests, "TooManyRequestsError",
			fmt.Sprintf("Exceeded send limits (sms: %d) for today", s.DailyLimit))
		return
	}
	if len(s.failNext) > 0 {
		f := s.failNext[0]
		s.failNext = s.failNext[1:]
		answerError(w, f.status, f.name, f.message)
		return
	}
	var req sendRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		answerError(w, http.StatusBadRequest, "InvalidRequest", "Invalid JSON supplied in POST data")
		return
	}
	switch body, ok := req.Personalisation["body"]; {
	case req.PhoneNumber == "":
		answerError(w, http.StatusBadRequest, "ValidationError", "phone_number is a required property")
	case req.TemplateID != s.TemplateID:
		answerError(w, http.StatusBadRequest, "BadRequestError", "Template not found")
	case !ok:
		answerError(w, http.StatusBadRequest, "BadRequestError", "Missing personalisation: body")
	default:
		if chars, _ := sms.Length(body); chars == 0 {
			answerError(w, http.StatusBadRequest, "BadRequestError", "Your message is empty.")
		} else if chars > sms.MaxLength {
			answerError(w, http.StatusBadRequest, "BadRequestError", fmt.Sprintf("Your message is too long. "+
				"Text messages cannot be longer than %d characters. Your message is %d characters long.", sms.MaxLength, chars))
		} else {
			s.accept(w, req, body, now)
		}
	}
}

func (s *Server) sentOn(day time.Time) int {
	n := 0
	for _, t := range s.texts {
		if t.SentAt.UTC().Format(time.DateOnly) == day.UTC().Format(time.DateOnly) {
			n++
		}
	}
	return n
}

func (s *Server) accept(w http.ResponseWriter, req sendRequest, body string, now time.Time) {
	t := &Text{ID: fmt.Sprintf("740e5834-3a29-46b4-9a6f-%012d", len(s.texts)+1), PhoneNumber: req.PhoneNumber,
		Body: body, Reference: req.Reference, SentAt: now, fate: s.fates[req.PhoneNumber]}
	if len(t.fate) == 0 {
		t.fate = []string{"delivered"}
	}
	s.texts = append(s.texts, t)
	answer(w, http.StatusCreated, map[string]any{
		"id":            t.ID,
		"reference":     nullable(t.Reference),
		"content":       map[string]any{"body": t.Body, "from_number": "GOVUK"},
		"uri":           "https://api.notifications.service.gov.uk/v2/notifications/" + t.ID,
		"template":      map[string]any{"id": s.TemplateID, "version": 1, "uri": "https://api.notifications.service.gov.uk/services/" + s.ServiceID + "/templates/" + s.TemplateID},
		"scheduled_for": nil,
	})
}

var uuid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// read answers GET /v2/notifications/{id}, moving the text on through its
// fate.
func (s *Server) read(w http.ResponseWriter, id string) {
	if !uuid.MatchString(id) {
		answerError(w, http.StatusBadRequest, "ValidationError", "notification_id is not a valid UUID")
		return
	}
	for _, t := range s.texts {
		if t.ID != id {
			continue
		}
		status := t.fate[min(t.reads, len(t.fate)-1)]
		t.reads++
		answer(w, http.StatusOK, map[string]any{
			"id":           t.ID,
			"reference":    nullable(t.Reference),
			"phone_number": t.PhoneNumber,
			"type":         "sms",
			"status":       status,
			"body":         t.Body,
			"template":     map[string]any{"id": s.TemplateID, "version": 1},
			"created_at":   t.SentAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
		})
		return
	}
	answerError(w, http.StatusNotFound, "NoResultFound", "No result found")
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// answerError writes Notify's v2 error body.
func answerError(w http.ResponseWriter, status int, name, message string) {
	answer(w, status, map[string]any{
		"status_code": status,
		"errors":      []map[string]string{{"error": name, "message": message}},
	})
}
