package notifiers

import (
	"context"
	"log/slog"
)

// Log writes each message to a structured log: the `log` channel type, and
// a safe default where nothing else is configured.
type Log struct {
	Logger *slog.Logger
}

var _ Notifier = (*Log)(nil)

// Notify implements Notifier.
func (l *Log) Notify(ctx context.Context, m Message) (bool, error) {
	l.Logger.InfoContext(ctx, "message", "delivery", m.Delivery, "activation", m.Activation, "step", m.Step,
		"type", m.Type, "channel", m.Channel, "stakeholder", m.Stakeholder, "subject", m.Subject)
	return false, nil
}
