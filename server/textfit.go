package server

import (
	"strconv"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers/sms"
)

// textFit is a message as a text message: its length as GOV.UK Notify
// counts it, and how many fragments the phone network carries it in.
type textFit struct {
	Text      string // what is sent: sms.Text of the subject and body
	Chars     int
	Fragments int
	Max       int
	TooLong   bool
	Draft     bool // still waiting for approval, so it can be shortened
}

// CharsText and MaxText are the counts as people read them: "1,030".
func (t textFit) CharsText() string { return thousands(t.Chars) }
func (t textFit) MaxText() string   { return thousands(t.Max) }

// fitText measures a message as a text message when it goes as one: a
// delivery of it by SMS (not withheld), or, for a draft not yet sent,
// its step reaching a phone. Otherwise nil.
func (s *Server) fitText(m *state.Message, v messageView, exercise bool) *textFit {
	texts, sent := false, false
	for _, d := range v.Deliveries {
		sent = true
		texts = texts || d.Type == "sms" && d.State != state.DeliveryWithheld
	}
	if !sent && (m.State == state.MessagePendingApproval || m.State == state.MessageDrafted) {
		if rb, err := s.engine.Runbook(m.ActivationID); err == nil {
			texts = engine.MessageReachesText(rb, s.engine.Directory(), m, exercise)
		}
	}
	if !texts {
		return nil
	}
	text := sms.Text(v.Subject, v.Body)
	chars, fragments := sms.Length(text)
	return &textFit{Text: text, Chars: chars, Fragments: fragments, Max: sms.MaxLength, TooLong: chars > sms.MaxLength,
		Draft: m.State == state.MessagePendingApproval}
}

// thousands writes n with commas between its thousands: 1,030.
func thousands(n int) string {
	digits := strconv.Itoa(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "," + digits[i:]
	}
	return digits
}
