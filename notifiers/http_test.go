package notifiers

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckResponse(t *testing.T) {
	now := time.Date(2026, 5, 22, 22, 31, 0, 0, time.UTC)
	for _, tc := range []struct {
		status     int
		retryAfter string
		retry      bool
		after      time.Duration
		ok         bool
	}{
		{status: 200, ok: true},
		{status: 204, ok: true},
		{status: 429, retryAfter: "7", retry: true, after: 7 * time.Second},
		{status: 429, retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat), retry: true, after: 90 * time.Second},
		{status: 503, retry: true},
		{status: 500, retry: true},
		{status: 408, retry: true},
		{status: 400},
		{status: 404},
		{status: 410},
	} {
		resp := &http.Response{StatusCode: tc.status, Status: http.StatusText(tc.status), Header: http.Header{}}
		if tc.retryAfter != "" {
			resp.Header.Set("Retry-After", tc.retryAfter)
		}
		retry, err := CheckResponse(resp, now)
		if (err == nil) != tc.ok || retry != tc.retry {
			t.Errorf("%d: retry %v, err %v", tc.status, retry, err)
		}
		var ra *RetryAfterError
		if got := errors.As(err, &ra); got != (tc.after > 0) || (got && ra.After != tc.after) {
			t.Errorf("%d: retry-after %v, want %v", tc.status, ra, tc.after)
		}
	}
}

func TestRedactURL(t *testing.T) {
	got := RedactURL("https://northbridge.webhook.office.com/webhookb2/abc/IncomingWebhook/def?sig=SECRET")
	if got != "https://northbridge.webhook.office.com/…" || strings.Contains(got, "SECRET") {
		t.Errorf("RedactURL = %q", got)
	}
}
