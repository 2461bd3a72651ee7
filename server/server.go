// Package server is crier as a service: the HTTP API (v1, JSON), who may
// do what, and later the web app, Slack's buttons and metrics. It holds
// no state of its own: every read is of the engine's state, every change a
// command through Engine.Apply, stamped with the user who asked.
package server

import (
	"crypto/rand"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// Options are what a server serves.
type Options struct {
	Engine  *engine.Engine
	Library *Library
	Users   []config.User
	Log     *slog.Logger
	Now     func() time.Time // the real clock when nil
	// SlackSigningSecret checks the clicks on Slack buttons; without it
	// /slack/interactions is not served.
	SlackSigningSecret string
	// SlackAPI, when set, opens Slack dialogues: the reason for a rejection.
	SlackAPI *slack.Client
	HTTP     *http.Client // for answering Slack; a 10s client when nil
	Metrics  *Metrics     // served at /metrics when set
	AckLinks *AckLinks    // checks acknowledgement links; without it /ack/ is not served
	// ApprovalsChannel is the Slack channel drafts are posted to for
	// approval (the configuration's notifiers.slack.approvals_channel):
	// part of what an activation can reach.
	ApprovalsChannel string
	// Location is the time zone times are shown in (the configuration's
	// timezone); UTC when nil.
	Location *time.Location
	// ClusterSecret lets the other nodes of a cluster pass on commands
	// (POST /internal/v1/apply, on Internal); without it that route is not
	// served.
	ClusterSecret string
	// Cluster, when set, answers GET /api/v1/cluster: who is in the
	// cluster and who leads it.
	Cluster func() (any, error)
	// AddNode adds a node that asks to join (POST /internal/v1/join).
	AddNode func(id, addr string) error
	// SessionIdle ends a web session after this long without a request;
	// 30 minutes when zero. A session ends 12 hours after sign-in anyway.
	SessionIdle time.Duration
	// SlackResponseHosts are hosts, besides hooks.slack.com, that answers
	// to Slack may go to (a test's fake Slack); any other response_url a
	// request names is ignored.
	SlackResponseHosts []string
	// WrongTokens limits the wrong tokens one client address may give
	// before it must wait: 5 a minute in bursts of 10 when zero.
	WrongTokens GuessLimit
	// PublicURL is the base of the public feed's links (docs/cap.md): when
	// empty, the address the request came to.
	// PublicSender names crier in its CAP alerts: crier@ that host when empty.
	PublicURL, PublicSender string
}

// Server answers the API.
type Server struct {
	engine  *engine.Engine
	library *Library
	users   *users
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux

	internal http.Handler // the other nodes' routes, served on raft_addr only

	slackSecret string
	slackAPI    *slack.Client
	http        *http.Client
	replays     replays // Slack's requests seen
	nodeReplays replays // other nodes' requests seen
	hub         hub
	links       *AckLinks
	loc         *time.Location
	// approvalsChannel is where drafts are posted for approval, if anywhere.
	approvalsChannel string
	sessionKey       []byte    // signs the web app's CSRF tokens; new at each start
	sessions         *sessions // the web app's signed-in browsers
	guesses          guesses   // wrong tokens, by client address
	slackHosts       []string  // besides Slack's own, where answers to Slack may go (tests)
	handler          http.Handler
	keys             *keys // idempotency keys seen, with their answers
	pages            *template.Template
	directoryEdits   sync.Mutex // one change to the directory at a time: a cover is never lost to another
	publicURL        string     // the public feed's base URL, if configured
	publicSender     string     // the public feed's CAP sender, if configured
}

// New makes a server.
func New(opts Options) *Server {
	s := &Server{engine: opts.Engine, library: opts.Library, users: newUsers(opts.Users), log: opts.Log, now: opts.Now,
		mux: http.NewServeMux(), slackSecret: opts.SlackSigningSecret, slackAPI: opts.SlackAPI, http: opts.HTTP, links: opts.AckLinks, loc: opts.Location,
		approvalsChannel: opts.ApprovalsChannel, sessions: newSessions(opts.SessionIdle),
		guesses:    guesses{limit: opts.WrongTokens},
		slackHosts: opts.SlackResponseHosts, publicURL: opts.PublicURL, publicSender: opts.PublicSender}
	if s.http == nil {
		s.http = &http.Client{Timeout: 10 * time.Second}
	}
	s.sessionKey = make([]byte, 32)
	_, _ = rand.Read(s.sessionKey) // crypto/rand does not fail on the platforms Go supports
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	s.keys = newKeys(s.now)
	if s.engine != nil {
		s.engine.OnApplied(s.hub.publish) // on every node of a cluster, in the order applied
	}
	s.webRoutes()
	for _, r := range s.routes() {
		s.mux.Handle(r.pattern, s.guard(r))
	}
	s.mux.HandleFunc("POST /slack/interactions", s.slackInteraction) // Slack's signature, not a token
	s.mux.HandleFunc("GET /ack/{token}", s.ackLink)                  // the signed link is the credential
	s.mux.HandleFunc("POST /ack/{token}", s.ackLink)
	if opts.Metrics != nil {
		h := opts.Metrics.Handler()
		s.mux.Handle("GET /metrics", s.guard(route{may: func(*User, *http.Request) bool { return true },
			handle: func(w http.ResponseWriter, r *http.Request, _ *User) { h.ServeHTTP(w, r) }}))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.publicRoutes() // the public feed and page: no sign-in, like /healthz
	if opts.Cluster != nil {
		s.mux.Handle("GET /api/v1/cluster", s.guard(route{may: anyone, handle: func(w http.ResponseWriter, r *http.Request, _ *User) {
			if st, err := opts.Cluster(); err != nil {
				writeError(w, http.StatusServiceUnavailable, "not_ready", err.Error())
			} else {
				writeJSON(w, http.StatusOK, st)
			}
		}}))
	}
	s.internal = s.nodeRoutes(opts.ClusterSecret, opts.AddNode)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such API route: "+r.Method+" "+r.URL.Path)
	})
	s.handler = s.protect(s.mux)
	return s
}

// AddAdmin lets the holder of token in as an administrator: the one-time
// token crier serve prints. Only its SHA-256 is kept.
func (s *Server) AddAdmin(token string) {
	s.users.add(&User{Name: "admin (one-time token)", Roles: []string{RoleAdmin}}, token)
}

// ready says whether crier can take work: its record can be read and it
// has runbooks to offer.
func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if _, err := s.engine.Read().Activations(nil); err != nil {
		writeError(w, http.StatusServiceUnavailable, "not_ready", "the record cannot be read: "+err.Error())
		return
	}
	if s.library == nil || len(s.library.List()) == 0 {
		writeError(w, http.StatusServiceUnavailable, "not_ready", "no runbooks are loaded")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// route is one API route and who may use it.
type route struct {
	pattern string // method and path, as http.ServeMux reads them
	may     func(u *User, r *http.Request) bool
	handle  func(w http.ResponseWriter, r *http.Request, u *User)
}

// routes is the API, route by route: the one place to read who may do what.
func (s *Server) routes() []route {
	role := func(roles ...string) func(*User, *http.Request) bool {
		return func(u *User, _ *http.Request) bool { return u.Has(roles...) }
	}
	return []route{
		{"GET /api/v1/runbooks", anyone, s.listRunbooks},
		{"GET /api/v1/runbooks/{id}", anyone, s.getRunbook},
		{"GET /api/v1/runbooks/{id}/reach", anyone, s.getReach}, // ?mode=exercise|live
		{"POST /api/v1/runbooks/reload", role(RolePlanner), s.reloadRunbooks},
		{"POST /api/v1/activations", anyone, s.activate}, // live or exercise: checked against the body
		{"GET /api/v1/activations", anyone, s.listActivations},
		{"GET /api/v1/activations/{id}", anyone, s.getActivation},
		{"POST /api/v1/activations/{id}/standdown", role(RolePlanner), s.standDown},
		{"POST /api/v1/activations/{id}/halt", role(RolePlanner, RoleExerciseLead), s.halt},
		{"POST /api/v1/activations/{id}/decisions", role(RolePlanner), s.recordDecision},
		{"POST /api/v1/activations/{id}/tension", anyone, s.recordTension}, // anyone signed in: a community's tension, 1 to 5
		{"GET /api/v1/activations/{id}/tension", anyone, s.tensionLog},
		{"POST /api/v1/activations/{id}/rumours", anyone, s.logRumour}, // anyone signed in may log a rumour
		{"GET /api/v1/activations/{id}/rumours", anyone, s.rumours},
		{"POST /api/v1/activations/{id}/rumours/{rid}/assess", commsOfficer, s.assessRumour},
		{"POST /api/v1/activations/{id}/rumours/{rid}/correction", commsOfficer, s.writeMessage}, // held for the rumours section's approvers
		{"POST /api/v1/activations/{id}/injects", exerciseLead, s.sendInject},
		{"POST /api/v1/activations/{id}/speed", role(RolePlanner, RoleExerciseLead), s.setSpeed},
		{"POST /api/v1/activations/{id}/messages", commsOfficer, s.writeMessage}, // an ad-hoc message, held for approval
		{"GET /api/v1/activations/{id}/report", anyone, s.report},
		// Message and task ids hold slashes (a-000001/holding-statement/1):
		// written as they are or escaped (%2F), both work.
		{"GET /api/v1/messages", anyone, s.listMessages},
		{"GET /api/v1/messages/{id...}", anyone, s.getMessage},
		{"PUT /api/v1/messages/{id...}", commsOfficer, s.editMessage},
		{"POST /api/v1/messages/{id...}", messageAction, s.actOnMessage}, // …/approve, …/reject; …/ack
		{"GET /api/v1/tasks", anyone, s.listTasks},
		{"GET /api/v1/events", anyone, s.events},
		{"POST /api/v1/tasks/{id...}", s.mayActOnTask, s.actOnTask}, // …/ack, …/done: theirs; …/reassign: a planner
		{"GET /api/v1/snapshot", role(RoleAdmin), s.snapshot},
		{"GET /api/v1/directory", anyone, s.getDirectory}, // ?format=yaml: the file
		{"PUT /api/v1/directory", role(RolePlanner), s.putDirectory},
		{"POST /api/v1/directory/rotas/{id}/cover", role(RolePlanner), s.coverRota},
	}
}

// Rules shared by the API and the web app.
func anyone(*User, *http.Request) bool { return true }

// planner runs activations: decisions, tasks, reloading runbooks.
func planner(u *User, _ *http.Request) bool { return u.Has(RolePlanner) }

// exerciseLead steers exercises: injects.
func exerciseLead(u *User, _ *http.Request) bool { return u.Has(RoleExerciseLead) }

// commsOfficer may edit, approve and reject; the engine then checks the
// runbook names them as an approver.
func commsOfficer(u *User, _ *http.Request) bool { return u.Has(RoleComms) }

// messageAction: a comms officer decides on a message; anyone it was sent
// to may acknowledge it (the engine checks it was).
func messageAction(u *User, r *http.Request) bool {
	_, action := idAndAction(r)
	return action == "ack" || commsOfficer(u, r)
}

// guard lets a request through to its route only from a known user with
// a role that may use it.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, given := bearer(r)
		if given && s.tooManyGuesses(w, r, func(wait time.Duration) {
			writeError(w, http.StatusTooManyRequests, "too_many_requests", "too many wrong tokens from this address; try again in "+wait.Round(time.Second).String())
		}) {
			return
		}
		u := s.users.byToken(token)
		if u == nil && given {
			s.wrongToken(r)
		}
		if u == nil && r.Method == http.MethodGet {
			u = s.fromSession(r) // the web app reads the API too (its live timeline); it changes nothing there
		}
		if u == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="crier"`)
			writeError(w, http.StatusUnauthorized, "unauthenticated", "give your API token as Authorization: Bearer TOKEN")
			return
		}
		if !rt.may(u, r) {
			writeError(w, http.StatusForbidden, "forbidden", u.Name+" may not "+r.Method+" "+r.URL.Path+" (roles: "+u.rolesText()+")")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		if changes(r) && len(r.Header.Values(IdempotencyKeyHeader)) > 0 {
			s.onceForAPI(w, r, u, rt.handle)
			return
		}
		rt.handle(w, r, u)
	})
}
