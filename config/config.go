// Package config loads and checks crier.yaml, the configuration of a crier
// server and its drills: time zone, data directory, where the runbooks are,
// the HTTP server, the notifiers that deliver messages, the people who may
// use crier, the cluster and delivery. docs/configuration.md describes every
// field.
//
// The file is decoded as strictly as a runbook is (unknown fields are
// errors, every problem is reported at once as file:line:col: path:
// message), then ${ENV_VAR} references are resolved with a lookup function
// the caller passes, then every value is checked. Secrets are held as
// Secret, which never prints its value, and no message ever repeats a value
// that came from the environment.
//
// A *Config returned by Parse, Load or Default must be treated as
// immutable.
package config

import (
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the time zone is checked the same way on every machine

	"github.com/crierhq/crier/runbooks"
)

// Config is the whole of crier.yaml.
type Config struct {
	Version  int    `yaml:"version" jsonschema:"required"`
	Timezone string `yaml:"timezone"`
	DataDir  string `yaml:"data_dir"`
	// Runbooks are the runbook files and directories crier serve offers;
	// left out, it offers the example runbooks built into crier.
	Runbooks []string `yaml:"runbooks" jsonschema:"minItems=1"`
	// Directory is the directory file (docs/directory.md) the runbooks
	// point into, relative to this file; left out, crier looks for
	// directory.yaml beside the runbooks.
	Directory string    `yaml:"directory" jsonschema_description:"The directory file, people, rotas and lists, relative to this file: directory.yaml."`
	Server    Server    `yaml:"server"`
	Notifiers Notifiers `yaml:"notifiers"`
	Users     []User    `yaml:"users"`
	Cluster   *Cluster  `yaml:"cluster"`
	Delivery  Delivery  `yaml:"delivery"`

	file     string
	location *time.Location
	// refs holds, by path, each value written with ${ENV_VAR} references,
	// as written: the file's own text, never what it resolved to.
	refs map[string]string
}

// Defaults of the top-level fields.
const (
	DefaultTimezone = "Europe/London"
	DefaultDataDir  = "./crier-data"
)

// Server is crier's HTTP server.
type Server struct {
	// Listen is the host:port the server listens on.
	Listen string `yaml:"listen"`
	// PublicURL is where people reach the server: the base of the links
	// sent out, such as acknowledgement links. Empty when not written:
	// then links sent out follow the listen address (LinkBase), and pages
	// and feeds served to a request use the address the request came to.
	PublicURL string `yaml:"public_url"`
	// LinkSecret signs acknowledgement links. Without it a new secret is
	// made at each start, and links sent before a restart stop working.
	LinkSecret Secret `yaml:"link_secret"`
}

// Defaults of the server section. public_url has none: see LinkBase.
const DefaultListen = "127.0.0.1:8080"

// LinkBase is the base of the links crier makes without a request to
// answer (in notices, emails, acknowledgement links): public_url when it
// is written, else the address crier listens on, addr (the address taken,
// once listening, or Listen), as ListenURL makes it.
func (s *Server) LinkBase(addr string) string {
	if s.PublicURL != "" {
		return strings.TrimSuffix(s.PublicURL, "/")
	}
	if addr == "" {
		addr = s.Listen
	}
	return ListenURL(addr)
}

// ListenURL is where a browser on this machine reaches crier listening on
// addr: http://addr, an address for every interface (":8080", "0.0.0.0")
// reached on 127.0.0.1.
func ListenURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Notifiers are the services messages are delivered through. A nil field is
// a notifier that is not configured.
type Notifiers struct {
	Slack   *Slack   `yaml:"slack"`
	Email   *Email   `yaml:"email"`
	SMS     *SMS     `yaml:"sms"`
	Teams   *Teams   `yaml:"teams"`
	Webhook *Webhook `yaml:"webhook"`
	Outbox  *Outbox  `yaml:"outbox"`
	Log     *Log     `yaml:"log"`
}

// Slack posts to Slack with a bot token.
type Slack struct {
	Token Secret `yaml:"token" jsonschema:"required"`
	// SigningSecret verifies the requests Slack sends crier, such as a
	// press of an Approve button.
	SigningSecret Secret `yaml:"signing_secret"`
	// APIURL is Slack's Web API; it always ends in /.
	APIURL string `yaml:"api_url"`
	// ApprovalsChannel is where messages waiting for approval are posted:
	// #name or a channel id.
	ApprovalsChannel string `yaml:"approvals_channel"`
	// PerChannelRate is messages per second to any one channel.
	PerChannelRate float64 `yaml:"per_channel_rate"`
	// WorkspaceRate is messages per second across the workspace.
	WorkspaceRate float64 `yaml:"workspace_rate"`
}

// Defaults of the slack section.
const (
	DefaultSlackAPIURL         = "https://slack.com/api/"
	DefaultSlackPerChannelRate = 1
	DefaultSlackWorkspaceRate  = 8
)

// Email sends through an SMTP relay.
type Email struct {
	Host string `yaml:"host" jsonschema:"required"`
	Port int    `yaml:"port"`
	// TLS is starttls, tls (TLS from the first byte) or none.
	TLS      string `yaml:"tls" jsonschema:"enum=starttls,enum=tls,enum=none"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// From is the sender, an RFC 5322 address such as
	// "Emergency Communications <emergency@northbridge.gov.uk>".
	From                    string `yaml:"from" jsonschema:"required"`
	MaxRecipientsPerMessage int    `yaml:"max_recipients_per_message"`
	// MessagesPerMinute paces sending for the relay; 0 is unlimited.
	MessagesPerMinute int `yaml:"messages_per_minute"`
	// Connections is how many SMTP connections are open at once.
	Connections int `yaml:"connections"`
}

// Defaults and limits of the email section.
const (
	DefaultEmailPort                    = 587
	DefaultEmailTLS                     = "starttls"
	DefaultEmailMaxRecipientsPerMessage = 50
	DefaultEmailConnections             = 4
	MaxEmailRecipientsPerMessage        = 1000
	MaxEmailConnections                 = 64
)

// SMS sends text messages through GOV.UK Notify.
type SMS struct {
	// APIKey is a Notify API key: its name, the service id and the secret.
	APIKey Secret `yaml:"api_key" jsonschema:"required"`
	// TemplateID is a Notify SMS template whose whole body is ((body)).
	TemplateID string `yaml:"template_id" jsonschema:"required"`
	BaseURL    string `yaml:"base_url"`
	// MessagesPerMinute paces sending; Notify allows 3,000 a minute.
	MessagesPerMinute int `yaml:"messages_per_minute"`
}

// Defaults and limits of the sms section.
const (
	DefaultSMSBaseURL           = "https://api.notifications.service.gov.uk"
	DefaultSMSMessagesPerMinute = 3000
	MaxSMSMessagesPerMinute     = 3000
)

// Teams posts to Microsoft Teams through Workflows webhooks. It has no
// settings: the webhook URLs are on the runbooks' channels.
type Teams struct{}

// Webhook posts signed JSON to the URLs on the runbooks' channels.
type Webhook struct {
	// SigningSecret signs every request; receivers hold the same secret.
	SigningSecret Secret `yaml:"signing_secret" jsonschema:"required"`
}

// Outbox writes messages to files instead of sending them.
type Outbox struct {
	Dir string `yaml:"dir"`
}

// Log writes messages to crier's own log. It has no settings.
type Log struct{}

// Delivery says how messages are delivered: crier's choice, not part of
// the configuration contract.
type Delivery struct {
	// Workers is how many deliveries are in flight at once.
	Workers int `yaml:"workers"`
	// Deadline is how long a delivery may take to be accepted, retries
	// included; after that it is failed and reported (a dead letter).
	Deadline runbooks.Duration `yaml:"deadline"`
}

// Defaults and limits of the delivery section.
const (
	DefaultDeliveryWorkers  = 16
	MaxDeliveryWorkers      = 256
	DefaultDeliveryDeadline = 30 * time.Minute
)

// Channel types, as runbooks write them, that a notifier can handle.
var channelTypes = []string{"slack", "teams", "email", "sms", "webhook", "log"}

// Types lists the channel types crier can deliver to as configured, in the
// order slack, teams, email, sms, webhook, log. log is always there: it
// needs no settings. The outbox is not a channel type.
func (c *Config) Types() []string {
	n := c.Notifiers
	configured := map[string]bool{
		"slack": n.Slack != nil, "teams": n.Teams != nil, "email": n.Email != nil,
		"sms": n.SMS != nil, "webhook": n.Webhook != nil, "log": true,
	}
	var out []string
	for _, t := range channelTypes {
		if configured[t] {
			out = append(out, t)
		}
	}
	return out
}

// OutboxOnly reports whether the outbox is the only notifier configured
// (log aside), as in the embedded default. Every channel, whatever its
// type, is then written to the outbox.
func (c *Config) OutboxOnly() bool {
	n := c.Notifiers
	return n.Outbox != nil && n.Slack == nil && n.Teams == nil && n.Email == nil && n.SMS == nil && n.Webhook == nil
}

// Handles reports whether crier can deliver to a runbook channel of the
// type: the type's notifier is configured, the type is log, or the outbox
// is the only notifier. Activating a runbook with a channel it does not
// handle fails, naming the channel.
func (c *Config) Handles(channelType string) bool {
	return c.OutboxOnly() || slices.Contains(c.Types(), channelType)
}

// File is the name the configuration was parsed under; "" for Default.
func (c *Config) File() string { return c.file }

// DirectoryPath is the directory file the configuration names, relative
// to the configuration file's folder unless written absolute; "" when it
// names none.
func (c *Config) DirectoryPath() string {
	if c.Directory == "" || filepath.IsAbs(c.Directory) || c.file == "" {
		return c.Directory
	}
	return filepath.Join(filepath.Dir(c.file), c.Directory)
}

// Location is the time zone of the timezone field.
func (c *Config) Location() *time.Location {
	if c.location != nil {
		return c.location
	}
	if loc, err := time.LoadLocation(c.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// Default is the embedded configuration crier runs on when it is given no
// file: every field at its default, no runbooks (so the examples built
// into crier are offered), and only the outbox, in ./crier-data/outbox,
// to deliver messages.
func Default() *Config {
	c := &Config{Version: 1, refs: map[string]string{}}
	setDefaults(c, nil)
	c.location = c.Location()
	return c
}
