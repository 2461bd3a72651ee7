package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crierhq/crier/runbooks"
)

// validate checks every value that is written and decoded: what the types
// and tags cannot say. Messages show values as written in the file, never
// what a reference resolved to.
func (l *loader) validate() {
	c := l.c
	l.notEmpty("timezone", c.Timezone, "an IANA time zone name such as Europe/London")
	if l.ok("timezone") && c.Timezone != "" {
		if loc, err := time.LoadLocation(c.Timezone); err != nil {
			l.errorf("timezone", "%s is not a time zone; expected an IANA name such as Europe/London", c.shown("timezone", c.Timezone))
		} else {
			c.location = loc
		}
	} else {
		c.location = c.Location()
	}
	l.notEmpty("data_dir", c.DataDir, "a directory")
	for i, r := range c.Runbooks {
		l.notEmpty(fmt.Sprintf("runbooks[%d]", i), r, "a runbook file or directory")
	}
	l.checkDirectory()
	l.hostPort("server.listen", c.Server.Listen, false, 0) // 0: any free port, printed at start
	l.httpURL("server.public_url", c.Server.PublicURL, "https://crier.northbridge.gov.uk", true)
	l.checkSlack(c.Notifiers.Slack)
	l.checkEmail(c.Notifiers.Email)
	l.checkSMS(c.Notifiers.SMS)
	if w := c.Notifiers.Webhook; w != nil && l.ok("notifiers.webhook.signing_secret") && len(w.SigningSecret) < minSecretLen {
		l.warnf("notifiers.webhook.signing_secret", "%s is shorter than %d characters; use a long random secret (openssl rand -hex 32)",
			c.secretShown("notifiers.webhook.signing_secret"), minSecretLen)
	}
	if o := c.Notifiers.Outbox; o != nil {
		l.notEmpty("notifiers.outbox.dir", o.Dir, "a directory")
	}
	l.checkUsers()
	l.checkCluster(c.Cluster)
	l.intRange("delivery.workers", c.Delivery.Workers, 1, MaxDeliveryWorkers)
	if l.ok("delivery.deadline") && c.Delivery.Deadline.D <= 0 {
		l.errorf("delivery.deadline", "the deadline must be longer than 0s; the default is %s", runbooks.FormatDuration(DefaultDeliveryDeadline))
	}
}

// minSecretLen is the shortest token or signing secret crier accepts
// without complaint.
const minSecretLen = 16

var (
	slackChannelRE = regexp.MustCompile(`^(#[^\sA-Z#.,]{1,80}|[CG][A-Z0-9]{8,})$`)
	slackUserRE    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	uuidRE         = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func (l *loader) checkSlack(s *Slack) {
	if s == nil {
		return
	}
	const at = "notifiers.slack."
	if l.httpURL(at+"api_url", s.APIURL, DefaultSlackAPIURL, false) && !strings.HasSuffix(s.APIURL, "/") {
		s.APIURL += "/" // the Slack client appends method names to it
	}
	if l.ok(at+"approvals_channel") && !slackChannelRE.MatchString(s.ApprovalsChannel) {
		l.errorf(at+"approvals_channel", "%s is not a Slack channel; expected #name (quoted, as \"#comms-approvals\") or a channel id such as C0123456789",
			l.c.shown(at+"approvals_channel", s.ApprovalsChannel))
	}
	l.positive(at+"per_channel_rate", s.PerChannelRate)
	l.positive(at+"workspace_rate", s.WorkspaceRate)
	if l.ok(at+"per_channel_rate") && s.PerChannelRate > 1 {
		l.warnf(at+"per_channel_rate", "Slack allows about one message a second to a channel; above that it answers with rate limits, and crier waits anyway")
	}
}

func (l *loader) checkEmail(e *Email) {
	if e == nil {
		return
	}
	c := l.c
	const at = "notifiers.email."
	if l.ok(at+"host") && strings.ContainsAny(e.Host, ":/ ") {
		l.errorf(at+"host", "%s is not a host name; give the name alone, such as smtp.northbridge.gov.uk, and the port as port", c.shown(at+"host", e.Host))
	}
	l.intRange(at+"port", e.Port, 1, 65535)
	l.notEmpty(at+"tls", e.TLS, "starttls, tls or none")
	switch {
	case l.ok(at+"username") && !l.written(at+"password"):
		l.errorf(at+"username", "a username needs a password; add password: ${SMTP_PASSWORD}")
	case l.ok(at+"password") && !l.written(at+"username"):
		l.errorf(at+"password", "a password needs a username; add username")
	}
	if e.TLS == "none" && l.written(at+"password") && !l.unresolved[at+"host"] && !isLoopback(e.Host) {
		l.errorf(at+"tls", "with tls: none the password would cross the network unencrypted, so crier will not send it; use starttls or tls")
	}
	if !l.failed(at+"tls") && !l.failed(at+"port") {
		switch {
		case e.TLS == "starttls" && e.Port == 465:
			l.warnf(at+"port", "port 465 is for tls (TLS from the first byte); with starttls the connection usually hangs: write tls: tls, or port: 587")
		case e.TLS == "tls" && e.Port == 587:
			l.warnf(at+"port", "port 587 is for starttls; with tls the connection usually fails: write tls: starttls, or port: 465")
		}
	}
	if l.ok(at + "from") {
		if a, err := mail.ParseAddress(e.From); err != nil {
			why := ""
			if !c.fromEnv(at + "from") {
				why = " (" + strings.TrimPrefix(err.Error(), "mail: ") + ")"
			}
			l.errorf(at+"from", "%s is not an email address%s; expected an address such as \"Emergency Communications <emergency@northbridge.gov.uk>\"", c.shown(at+"from", e.From), why)
		} else if !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@')+1:], ".") {
			l.errorf(at+"from", "%s has no domain such as northbridge.gov.uk after the @", c.shown(at+"from", e.From))
		}
	}
	l.intRange(at+"max_recipients_per_message", e.MaxRecipientsPerMessage, 1, MaxEmailRecipientsPerMessage)
	if l.ok(at+"messages_per_minute") && e.MessagesPerMinute < 0 {
		l.errorf(at+"messages_per_minute", "messages_per_minute is %d; expected 0 (unlimited) or more", e.MessagesPerMinute)
	}
	l.intRange(at+"connections", e.Connections, 1, MaxEmailConnections)
}

func (l *loader) checkSMS(s *SMS) {
	if s == nil {
		return
	}
	c := l.c
	const at = "notifiers.sms."
	if l.ok(at+"api_key") && !isNotifyKey(string(s.APIKey)) {
		l.errorf(at+"api_key", "%s is not a GOV.UK Notify API key; expected the key's name followed by two ids (the service id and the secret), as Notify shows it once when the key is created",
			c.secretShown(at+"api_key"))
	}
	if l.ok(at+"template_id") && !uuidRE.MatchString(s.TemplateID) {
		l.errorf(at+"template_id", "%s is not a template id; expected the id Notify shows on the template's page, such as 2b6c7e3e-5f0a-4c2e-9d51-8a6b1f0c4d2e",
			c.shown(at+"template_id", s.TemplateID))
	}
	l.httpURL(at+"base_url", s.BaseURL, DefaultSMSBaseURL, false)
	l.intRange(at+"messages_per_minute", s.MessagesPerMinute, 1, MaxSMSMessagesPerMinute)
}

// isNotifyKey reports whether k has the shape of a Notify API key: a name,
// a hyphen, then two UUIDs joined by a hyphen.
func isNotifyKey(k string) bool {
	const uuid = 36
	if len(k) < 2*uuid+3 {
		return false
	}
	service, secret := k[len(k)-2*uuid-1:len(k)-uuid-1], k[len(k)-uuid:]
	return k[len(k)-uuid-1] == '-' && k[len(k)-2*uuid-2] == '-' && uuidRE.MatchString(service) && uuidRE.MatchString(secret)
}

func (l *loader) checkCluster(cl *Cluster) {
	if cl == nil {
		return
	}
	c := l.c
	if l.ok("cluster.node_id") && strings.ContainsAny(cl.NodeID, "@ \t") {
		l.errorf("cluster.node_id", "%s is not a node id; use letters, digits and hyphens, such as node-1", c.shown("cluster.node_id", cl.NodeID))
	}
	l.hostPort("cluster.raft_addr", cl.RaftAddr, true, 1)
	if len(cl.Peers) > 0 && len(cl.Secret.Reveal()) < 16 && !l.failed("cluster.secret") {
		l.errorf("cluster", "a cluster needs cluster.secret, at least 16 characters, the same on every node, as an ${ENV_VAR} reference: it proves each node to the others")
	}
	if len(cl.Peers) > 0 && c.Server.LinkSecret == "" && !l.failed("server.link_secret") {
		l.errorf("cluster", "a cluster needs server.link_secret, the same on every node: an acknowledgement link one node sends must open on the others")
	}
	seen := map[string]string{}
	if l.ok("cluster.node_id") {
		seen[cl.NodeID] = "this node's node_id"
	}
	addrs := map[string]string{}
	if l.ok("cluster.raft_addr") {
		addrs[cl.RaftAddr] = "this node's raft_addr"
	}
	for i, p := range cl.Peers {
		path := fmt.Sprintf("cluster.peers[%d]", i)
		if !l.ok(path) {
			continue
		}
		id, addr, found := strings.Cut(p, "@")
		if !found || id == "" || addr == "" || strings.ContainsAny(id, " \t") {
			l.errorf(path, "%s is not a peer; expected id@host:port, such as node-2@10.0.0.12:8300", c.shown(path, p))
			continue
		}
		if !l.hostPort(path, addr, true, 1) {
			continue
		}
		if first, dup := seen[id]; dup {
			l.errorf(path, "node id %q is already %s; every node needs its own id", id, first)
		} else {
			seen[id] = fmt.Sprintf("given at peers[%d]", i)
		}
		if first, dup := addrs[addr]; dup {
			l.errorf(path, "address %s is already %s; every node needs its own address", c.shown(path, addr), first)
		} else {
			addrs[addr] = fmt.Sprintf("given at peers[%d]", i)
		}
	}
}

// notEmpty reports a value written as "" where a default would be used if
// the field were left out.
func (l *loader) notEmpty(path, v, what string) {
	if l.ok(path) && strings.TrimSpace(v) == "" {
		l.errorf(path, "%s is empty; give %s, or leave the field out for the default", lastName(path), what)
	}
}

// hostPort checks a host:port address; needHost refuses ":8080", and
// the port must be from minPort to 65535.
func (l *loader) hostPort(path, v string, needHost bool, minPort int) bool {
	if !l.ok(path) {
		return false
	}
	shown := l.c.shown(path, v)
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		l.errorf(path, "%s is not an address; expected host:port, such as 127.0.0.1:8080", shown)
		return false
	}
	if n, err := strconv.Atoi(port); err != nil || n < minPort || n > 65535 {
		l.errorf(path, "%s has no valid port; expected host:port with a port from %d to 65535, such as 127.0.0.1:8080", shown, minPort)
		return false
	}
	if needHost && host == "" {
		l.errorf(path, "%s has no host; other nodes need one to reach it, such as 10.0.0.11:8300", shown)
		return false
	}
	return true
}

// httpURL checks an absolute http or https URL. public is for a URL put in
// messages: http is a warning unless it is on this machine.
func (l *loader) httpURL(path, v, example string, public bool) bool {
	if !l.ok(path) {
		return false
	}
	shown := l.c.shown(path, v)
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		l.errorf(path, "%s is not an absolute http or https URL, such as %s", shown, example)
		return false
	case u.User != nil:
		l.errorf(path, "the URL contains a user name or password; URLs here carry no credentials")
		return false
	case public && u.Scheme == "http" && !isLoopback(u.Hostname()):
		l.warnf(path, "%s uses http, so the links crier sends cross the network unencrypted; use https", shown)
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (l *loader) intRange(path string, v, lo, hi int) {
	if l.ok(path) && (v < lo || v > hi) {
		l.errorf(path, "%s is %d; expected a number from %d to %d", lastName(path), v, lo, hi)
	}
}

func (l *loader) positive(path string, v float64) {
	if l.ok(path) && v <= 0 {
		l.errorf(path, "%s is %g; expected a number of messages a second above 0, such as 1 or 0.5", lastName(path), v)
	}
}
