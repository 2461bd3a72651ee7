package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/examples"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/notifiers/routes"
	"github.com/crierhq/crier/server"
	"github.com/slack-go/slack"
)

func runServe(ctx context.Context, args []string, e env) int {
	flags := newFlags("serve", "[--config FILE] [--listen HOST:PORT]",
		"Run crier as a service: the web app and the HTTP API for planners, comms officers and\n"+
			"exercise leads. With no configuration it runs on the embedded default, to try crier out:\n"+
			"it listens on 127.0.0.1:8080, offers the example runbooks built into crier, writes every\n"+
			"message to ./crier-data/outbox (nothing is sent), and prints sign-in links for five demo\n"+
			"users (tokens new at each run, kept only as SHA-256). A configuration has no demo users;\n"+
			"without users it prints a one-time admin token. SIGHUP reloads the runbooks.")
	configFile := flags.String("config", "", "the crier.yaml to run on")
	listen := flags.String("listen", "", "host:port to listen on, instead of server.listen (127.0.0.1:8080 by default)")
	nodeID := flags.String("node-id", "", "this node's id in a cluster (instead of cluster.node_id)")
	raftAddr := flags.String("raft-addr", "", "host:port where this node meets the others (instead of cluster.raft_addr)")
	join := flags.String("join", "", "the raft_addr of a node of a running cluster to join, such as 10.20.0.11:8300")
	if _, code, ok := parseFlags(flags, args, e); !ok {
		return code
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	cfg := config.Default()
	if *configFile != "" {
		var code int
		var ok bool
		if cfg, code, ok = loadConfig(*configFile, e); !ok {
			return code
		}
	}
	demo := *configFile == "" // the embedded default: the demo cast's trial
	if *listen != "" {
		if err := listenFlag(*listen); err != nil {
			fmt.Fprintf(e.stderr, "crier serve: %v\n", err)
			return exitUsage
		}
		cfg.Server.Listen = *listen // and, without a public_url, the links crier sends
	}
	library, err := openLibrary(cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier serve: some runbooks did not load; the others are offered:\n%v\n", err)
	}
	if err := clusterFlags(cfg, *nodeID, *raftAddr, *join); err != nil {
		fmt.Fprintf(e.stderr, "crier serve: %v\n", err)
		return exitUsage
	}
	node, eng, err := openRecord(ctx, cfg, log, *join)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier serve: %v\n", err)
		return exitError
	}
	defer node.Close()
	if cfg.Cluster == nil { // a node alone leads at once: its directory is in force before anyone asks
		loadServedDirectory(ctx, eng, cfg, log)
	}
	built, err := routes.FromConfig(cfg, routes.Env{Lookup: os.LookupEnv, Now: e.now, Log: log})
	if err != nil {
		fmt.Fprintf(e.stderr, "crier serve: %v\n", err)
		return exitError
	}
	defer built.Close()
	metrics := server.NewMetrics(eng)
	built.Options.Observe = metrics.Observe
	links, err := ackLinks(cfg, e)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier serve: %v\n", err)
		return exitError
	}
	// What the leader does, each time this node takes the lead.
	var apiURL string   // where the others pass on commands: set once listening
	var linkBase string // the base of links sent out (config.Server.LinkBase): set once listening
	term := func(ctx context.Context) {
		ctx = engine.HereOnly(ctx) // what the leader does, it does itself or not at all
		for {
			_, err := eng.Apply(ctx, &engine.AnnounceLeader{Meta: engine.Meta{Actor: "cluster"}, Node: node.ID(), API: apiURL})
			if err == nil {
				break
			}
			log.Error("taking up the lead: announcing this node", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
		loadServedDirectory(ctx, eng, cfg, log)
		sched, err := engine.NewScheduler(eng, engine.RealClock{}, log)
		for err != nil { // reading the record in memory: retried, never left undone
			log.Error("taking up the lead: loading the schedule", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			sched, err = engine.NewScheduler(eng, engine.RealClock{}, log)
		}
		sched.Late = func(d time.Duration) { metrics.Lateness.Observe(d.Seconds()) }
		deliverer := engine.NewDeliverer(eng, built.Options)
		deliverer.ApprovalsChannel = built.ApprovalsChannel
		deliverer.AckLink = links.Link
		deliverer.MessageLink = func(m notifiers.Message) string {
			return linkBase + "/ui/messages/" + m.Message
		}
		deliverer.Follow(sched)
		go sched.Run(ctx)
		sent := make(chan struct{})
		go func() { deliverer.Run(ctx); close(sent) }()
		if err := deliverer.Resume(ctx); err != nil { // what a stop or an earlier leader left unsent
			log.Error("resuming deliveries", "err", err)
		}
		<-sent
	}

	opts := server.Options{Engine: eng, Library: library, Users: cfg.Users, Log: log, Now: e.now, Metrics: metrics, AckLinks: links, Location: cfg.Location(),
		PublicURL: cfg.Server.PublicURL} // empty when not written: then the request's address
	opts.ApprovalsChannel = built.ApprovalsChannel // part of what an activation can reach
	if cfg.Cluster != nil {
		opts.ClusterSecret = cfg.Cluster.Secret.Reveal()
	}
	opts.Cluster = func() (any, error) { return node.Status() }
	opts.AddNode = node.Add
	if sl := cfg.Notifiers.Slack; sl != nil {
		opts.SlackSigningSecret = sl.SigningSecret.Reveal()
		opts.SlackAPI = slack.New(sl.Token.Reveal(), slack.OptionAPIURL(sl.APIURL))
	}
	srv := server.New(opts)
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if errors.Is(err, syscall.EADDRINUSE) {
		fmt.Fprintf(e.stderr, "crier serve: cannot listen on %s: something else (another crier?) is using it; stop it, or listen elsewhere with --listen, such as --listen 127.0.0.1:8081\n", cfg.Server.Listen)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "crier serve: listening on %s: %v\n", cfg.Server.Listen, err)
		return exitError
	}
	apiURL = "http://" + ln.Addr().String()
	linkBase = cfg.Server.LinkBase(ln.Addr().String())
	links.Base = linkBase
	// Loading parsed every runbook, and a YAML parse holds a tree many times
	// the file's size: collect it and give its pages back now, rather than
	// when the runtime gets round to it, so that a fan-out starts from what
	// crier keeps (the peak resident set of a 10,000-person fan-out: 58–70
	// MiB in twelve runs without this, 58–64.1 in twenty with it;
	// docs/benchmarks.md).
	debug.FreeOSMemory()
	// On the embedded default, the demo cast lets the newcomer in. With a
	// configuration but no users, a token for this run does. With users,
	// there is none: a token printed by a service ends up in its logs.
	switch {
	case demo:
		fmt.Fprintf(e.stdout, "crier is serving %s on its embedded default: the example runbooks,\n", apiURL)
		fmt.Fprintf(e.stdout, "every message written to %s and never sent.\n", cfg.Notifiers.Outbox.Dir)
		addDemoCast(srv, demoBase(ln.Addr().String()), e.stdout)
	case len(cfg.Users) == 0:
		token, err := oneTimeToken()
		if err != nil {
			fmt.Fprintf(e.stderr, "crier serve: %v\n", err)
			return exitError
		}
		srv.AddAdmin(token)
		fmt.Fprintf(e.stdout, "admin token for this run (shown once, kept only as its SHA-256): %s\n", token)
		fmt.Fprintf(e.stdout, "try: curl -H 'Authorization: Bearer %s' %s/api/v1/runbooks\n", token, apiURL)
		fmt.Fprintf(e.stdout, "crier is serving %s\n", apiURL)
	default:
		fmt.Fprintf(e.stdout, "crier is serving %s\n", apiURL)
	}

	running, stop := context.WithCancel(ctx)
	defer stop()
	sent := make(chan struct{})
	go func() { leaderDuties(running, node, log, term); close(sent) }()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := library.Reload(); err != nil {
				log.Error("reloading runbooks: the copies that loaded before stay in use", "err", err)
			} else {
				log.Info("runbooks reloaded")
			}
			debug.FreeOSMemory() // as after loading them first
		}
	}()

	httpServer := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(ln) }()
	if web := node.Web(); web != nil { // the other nodes, over mutual TLS on raft_addr
		nodes := &http.Server{Handler: srv.Internal(), ReadHeaderTimeout: 10 * time.Second}
		go nodes.Serve(web)
		defer nodes.Close()
	}
	select {
	case err := <-served:
		fmt.Fprintf(e.stderr, "crier serve: %v\n", err)
		return exitError
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and sends under way")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = httpServer.Shutdown(shutdown)
	stop()
	<-sent
	return exitOK
}

// openLibrary reads the configured runbooks, or with none configured the
// examples built into crier.
func openLibrary(cfg *config.Config) (*server.Library, error) {
	if len(cfg.Runbooks) == 0 {
		return server.NewLibraryFS(examples.FS, "examples")
	}
	return server.NewLibrary(cfg.Runbooks)
}

// ackLinks signs acknowledgement links; they are good for two weeks.
func ackLinks(cfg *config.Config, e env) (*server.AckLinks, error) {
	secret, err := linkSecret(cfg)
	if err != nil {
		return nil, err
	}
	return &server.AckLinks{Base: cfg.Server.LinkBase(""), Secret: secret, TTL: 14 * 24 * time.Hour, Now: e.now}, nil
}

// oneTimeToken is a fresh admin token: 32 random bytes.
func oneTimeToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "crier_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// loadConfig reads a crier.yaml, printing its warnings, or why it cannot.
func loadConfig(file string, e env) (*config.Config, int, bool) {
	cfg, warnings, err := config.Load(file, os.LookupEnv)
	for _, w := range warnings {
		fmt.Fprintln(e.stderr, humanDiagnostic(w))
	}
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stderr, "crier: %s: no such file\n", file)
		return nil, exitUsage, false
	}
	if err != nil {
		printLoadError(e, file, err)
		return nil, exitError, false
	}
	return cfg, exitOK, true
}
