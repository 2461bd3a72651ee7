package config

import (
	"fmt"
	"io"
)

// Secret is a credential: a token, a password, an API key. It prints as
// [redacted] in every format and in JSON, so that a Config can be logged
// without giving one away. Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself, to hand to the service it is for.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer: [redacted], or nothing when unset.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer, for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format implements fmt.Formatter, so that no verb prints the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, s.GoString())
		return
	}
	io.WriteString(f, s.String())
}

// MarshalText implements encoding.TextMarshaler, so that JSON and YAML
// encoders write [redacted] too.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// fmt prints a pointer to a struct that sits inside another value by its
// address, but with a verb wrong for pointers (%s, %t, ...) it prints the
// struct with every method ignored, Secret's too. So each pointer type
// whose value holds a secret, however deep, formats itself: as the struct
// it points to, whose Secrets then format themselves.

// Format implements fmt.Formatter; secrets print as [redacted].
func (c *Config) Format(f fmt.State, verb rune) {
	formatPointer(f, verb, c == nil, func() any { return *c })
}

// Format implements fmt.Formatter; secrets print as [redacted].
func (n *Notifiers) Format(f fmt.State, verb rune) {
	formatPointer(f, verb, n == nil, func() any { return *n })
}

// Format implements fmt.Formatter; secrets print as [redacted].
func (s *Slack) Format(f fmt.State, verb rune) {
	formatPointer(f, verb, s == nil, func() any { return *s })
}

// Format implements fmt.Formatter; secrets print as [redacted].
func (e *Email) Format(f fmt.State, verb rune) {
	formatPointer(f, verb, e == nil, func() any { return *e })
}

// Format implements fmt.Formatter; secrets print as [redacted].
func (s *SMS) Format(f fmt.State, verb rune) {
	formatPointer(f, verb, s == nil, func() any { return *s })
}

// Format implements fmt.Formatter; secrets print as [redacted].
func (w *Webhook) Format(f fmt.State, verb rune) {
	formatPointer(f, verb, w == nil, func() any { return *w })
}

// Format implements fmt.Formatter; secrets print as [redacted].
func (u *User) Format(f fmt.State, verb rune) {
	formatPointer(f, verb, u == nil, func() any { return *u })
}

func formatPointer(f fmt.State, verb rune, isNil bool, value func() any) {
	if isNil {
		io.WriteString(f, "<nil>")
		return
	}
	io.WriteString(f, "&")
	fmt.Fprintf(f, fmt.FormatString(f, verb), value())
}
