package notifiers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// RetryAfterError is a temporary failure that names when to try again, as
// an HTTP 429 or 503 with Retry-After does. A dispatcher must not retry
// sooner.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// CheckResponse classifies an HTTP response from a service: nil for 2xx;
// a temporary failure to retry for 429, 408 and 5xx (with the wait a
// Retry-After header gives); a permanent one for any other status.
func CheckResponse(resp *http.Response, now time.Time) (retry bool, err error) {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	err = fmt.Errorf("the service answered %s", resp.Status)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode >= 500:
		if after, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
			return true, &RetryAfterError{After: after, Err: err}
		}
		return true, err
	}
	return false, err
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// RedactURL shows where a URL points without what may be its secret: the
// scheme and host only. Webhook URLs often are the credential.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// RedactError removes the URL that net/http puts in its errors.
func RedactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, RedactURL(ue.URL), ue.Err)
	}
	return err
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ResolveURL turns the ${ENV_VAR} references a runbook gives for a URL into
// the URL, with lookup (os.LookupEnv in the command) finding each value.
func ResolveURL(target string, lookup func(string) (string, bool)) (string, error) {
	var missing string
	resolved := envRef.ReplaceAllStringFunc(target, func(ref string) string {
		name := envRef.FindStringSubmatch(ref)[1]
		v, ok := lookup(name)
		if !ok || v == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("the environment variable %s that names the URL is not set", missing)
	}
	return resolved, nil
}

// PostJSON posts a JSON body with extra headers and classifies the answer
// with CheckResponse. name prefixes errors, which show the URL's host only.
func PostJSON(ctx context.Context, client *http.Client, name, target string, body []byte, header http.Header, now time.Time) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", name, RedactURL(target), RedactError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "crier")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		return true, fmt.Errorf("%s %s: %w", name, RedactURL(target), RedactError(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection can be reused
	retry, err := CheckResponse(resp, now)
	if err != nil {
		return retry, fmt.Errorf("%s %s: %w", name, RedactURL(target), err)
	}
	return false, nil
}

// HTTPClient is a client for a service crier sends many requests to at
// once: it keeps a connection open for each of senders (Go's default keeps
// two a host, so a busy dispatcher would dial a new connection, and leave
// one in TIME_WAIT, for nearly every request), and gives up on a request
// after timeout.
func HTTPClient(senders int, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(senders, 2)
	t.MaxIdleConns = max(t.MaxIdleConns, 4*senders)
	return &http.Client{Transport: t, Timeout: timeout}
}
