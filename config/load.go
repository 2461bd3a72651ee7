package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/crierhq/crier/runbooks"
)

// Load reads and checks the configuration file at path. lookup finds the
// values of ${ENV_VAR} references (os.LookupEnv in the command); with a nil
// lookup every reference is unset.
//
// It returns the configuration and its warnings, such as a secret written
// in the file. On any error it returns a runbooks.ErrorList of every
// problem in the file, warnings included, sorted by position.
func Load(path string, lookup func(string) (string, bool)) (*Config, []runbooks.Diagnostic, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	return Parse(path, data, lookup)
}

// readFile reads a file up to one byte past the largest crier reads, so
// that the decoder can say it is too large.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, runbooks.MaxFileSize+1))
}

// Parse checks a configuration read from a file; name is used in messages.
// It returns what Load returns.
func Parse(name string, data []byte, lookup func(string) (string, bool)) (*Config, []runbooks.Diagnostic, error) {
	return parse(&loader{c: &Config{file: name, refs: map[string]string{}}, file: name}, data, lookup)
}

// Check checks the configuration file at path as a file, apart from the
// environment crier will run in (crier validate): its ${ENV_VAR}
// references are not resolved, and the values they stand for are left to
// be checked when crier loads the file to run on it. It returns the
// variables the file needs, sorted, and its warnings; on any error, a
// runbooks.ErrorList as Load does.
func Check(path string) (needs []string, warnings []runbooks.Diagnostic, err error) {
	l, err := check(path)
	if err != nil {
		return nil, nil, err
	}
	_, warnings, _ = l.result()
	return l.c.variables(), warnings, nil
}

// check parses the file at path apart from the environment, leaving its
// references unresolved, and returns the loader that did, or the errors.
func check(path string) (*loader, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	l := &loader{c: &Config{file: path, refs: map[string]string{}}, file: path, unresolved: map[string]bool{}}
	if _, _, err := parse(l, data, nil); err != nil {
		return nil, err
	}
	return l, nil
}

func parse(l *loader, data []byte, lookup func(string) (string, bool)) (*Config, []runbooks.Diagnostic, error) {
	name := l.file
	if len(bytes.TrimSpace(data)) == 0 {
		l.add(runbooks.SeverityError, runbooks.Pos{Line: 1, Column: 1}, "",
			"file is empty; expected a configuration starting with version: 1 (with no file at all, crier runs on its embedded default)")
		return l.result()
	}
	pos, err := runbooks.DecodeFile(name, data, "configuration", l.c)
	if err != nil && !errors.As(err, &l.diags) {
		return nil, nil, err
	}
	if pos == nil { // not a mapping: nothing more to check
		return l.result()
	}
	l.pos = pos
	if !l.checkVersion() {
		return l.result()
	}
	l.resolve(lookup)
	setDefaults(l.c, pos)
	l.validate()
	return l.result()
}

// loader collects the problems of one file while it is checked.
type loader struct {
	c     *Config
	file  string
	pos   runbooks.Positions
	diags runbooks.ErrorList // errors and warnings
	// unresolved holds the paths of values written with references that
	// Check leaves unresolved: nil when loading to run.
	unresolved map[string]bool
}

func (l *loader) result() (*Config, []runbooks.Diagnostic, error) {
	runbooks.SortDiagnostics(l.diags)
	var errs int
	var warns []runbooks.Diagnostic
	for _, d := range l.diags {
		if d.Severity == runbooks.SeverityError {
			errs++
		} else {
			warns = append(warns, d)
		}
	}
	if errs > 0 {
		return nil, nil, l.diags
	}
	return l.c, warns, nil
}

func (l *loader) add(sev runbooks.Severity, p runbooks.Pos, path, format string, args ...any) {
	l.diags = append(l.diags, runbooks.Diagnostic{File: l.file, Line: p.Line, Column: p.Column,
		Severity: sev, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) errorf(path, format string, args ...any) {
	l.add(runbooks.SeverityError, l.pos.At(path), path, format, args...)
}

func (l *loader) warnf(path, format string, args ...any) {
	l.add(runbooks.SeverityWarning, l.pos.At(path), path, format, args...)
}

// written reports whether the value at path is in the file.
func (l *loader) written(path string) bool {
	_, ok := l.pos[path]
	return ok
}

// failed reports whether a problem with the value at path is already
// reported, so that it is not reported again as something else, or
// whether its value is unknown (Check).
func (l *loader) failed(path string) bool {
	if l.unresolved[path] { // its value is not known, so not checked
		return true
	}
	for _, d := range l.diags {
		if d.Severity == runbooks.SeverityError && d.Path == path {
			return true
		}
	}
	return false
}

// ok reports whether the value at path is written and has no problem yet:
// the values that checks look at. Defaults need no checking.
func (l *loader) ok(path string) bool { return l.written(path) && !l.failed(path) }

// checkVersion refuses anything but version 1. Another version's fields
// would only bury the one error that matters, so that error is all that is
// reported.
func (l *loader) checkVersion() bool {
	var only runbooks.ErrorList
	for _, d := range l.diags {
		if d.Path == "version" {
			only = append(only, d)
		}
	}
	if len(only) > 0 {
		for i := range only {
			only[i].Message += "; this crier reads configuration version 1 (write version: 1)"
		}
		l.diags = only
		return false
	}
	if l.written("version") && l.c.Version != 1 {
		l.diags = nil
		l.errorf("version", "unsupported version %d; this crier reads configuration version 1 (write version: 1)", l.c.Version)
		return false
	}
	return true
}

// setDefaults fills in every field that pos says is not written; with nil
// pos, every field. With no notifier configured, the outbox is.
func setDefaults(c *Config, pos runbooks.Positions) {
	unset := func(path string) bool { _, ok := pos[path]; return !ok }
	setString := func(path string, v *string, def string) {
		if unset(path) {
			*v = def
		}
	}
	setInt := func(path string, v *int, def int) {
		if unset(path) {
			*v = def
		}
	}
	setFloat := func(path string, v *float64, def float64) {
		if unset(path) {
			*v = def
		}
	}
	setString("timezone", &c.Timezone, DefaultTimezone)
	setString("data_dir", &c.DataDir, DefaultDataDir)
	// runbooks left out: none, and crier serve offers the built-in examples
	setString("server.listen", &c.Server.Listen, DefaultListen)
	// server.public_url left out stays empty: see Server.LinkBase

	n := &c.Notifiers
	if s := n.Slack; s != nil {
		setString("notifiers.slack.api_url", &s.APIURL, DefaultSlackAPIURL)
		setFloat("notifiers.slack.per_channel_rate", &s.PerChannelRate, DefaultSlackPerChannelRate)
		setFloat("notifiers.slack.workspace_rate", &s.WorkspaceRate, DefaultSlackWorkspaceRate)
	}
	if e := n.Email; e != nil {
		setInt("notifiers.email.port", &e.Port, DefaultEmailPort)
		setString("notifiers.email.tls", &e.TLS, DefaultEmailTLS)
		setInt("notifiers.email.max_recipients_per_message", &e.MaxRecipientsPerMessage, DefaultEmailMaxRecipientsPerMessage)
		setInt("notifiers.email.connections", &e.Connections, DefaultEmailConnections)
	}
	if s := n.SMS; s != nil {
		setString("notifiers.sms.base_url", &s.BaseURL, DefaultSMSBaseURL)
		setInt("notifiers.sms.messages_per_minute", &s.MessagesPerMinute, DefaultSMSMessagesPerMinute)
	}
	if n.Slack == nil && n.Email == nil && n.SMS == nil && n.Teams == nil && n.Webhook == nil && n.Outbox == nil {
		n.Outbox = &Outbox{}
	}
	if o := n.Outbox; o != nil {
		setString("notifiers.outbox.dir", &o.Dir, strings.TrimRight(c.DataDir, "/")+"/outbox")
	}
	setInt("delivery.workers", &c.Delivery.Workers, DefaultDeliveryWorkers)
	if unset("delivery.deadline") {
		c.Delivery.Deadline = runbooks.Duration{D: DefaultDeliveryDeadline, Text: runbooks.FormatDuration(DefaultDeliveryDeadline)}
	}
}
