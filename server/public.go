package server

import (
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/crierhq/crier/publicfeed"
)

// The public feed: what crier has sent to the public, as CAP 1.2 alerts,
// Atom feeds of them and a plain page, served to anyone without signing
// in (docs/cap.md). An exercise's alerts are served only under
// /public/exercise/, never beside the live ones.

// publicMaxAge is how long a feed or the page may be kept: short, for an
// update must reach people soon.
const publicMaxAge = "public, max-age=60"

// feedEntries is the most alerts a feed lists, the newest; every alert
// stays at its own address.
const feedEntries = 100

// publicRoutes serves the feeds and the page.
func (s *Server) publicRoutes() {
	for _, exercise := range []bool{false, true} {
		prefix := "/public/"
		if exercise {
			prefix = "/public/exercise/"
		}
		s.mux.HandleFunc("GET "+prefix+"{$}", func(w http.ResponseWriter, r *http.Request) { s.publicPage(w, r, exercise) })
		s.mux.HandleFunc("GET "+prefix+"cap.atom", func(w http.ResponseWriter, r *http.Request) { s.publicAtom(w, r, exercise) })
		s.mux.HandleFunc("GET "+prefix+"cap/{file}", func(w http.ResponseWriter, r *http.Request) { s.publicAlert(w, r, exercise) })
	}
}

// publisher reads alerts, with links under the server's public URL: the
// one configured (server.public_url), else the address the request came to.
func (s *Server) publisher(r *http.Request) *publicfeed.Publisher {
	base := s.publicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return &publicfeed.Publisher{Engine: s.engine, Sender: s.publicSender, BaseURL: strings.TrimSuffix(base, "/")}
}

func (s *Server) publicAtom(w http.ResponseWriter, r *http.Request, exercise bool) {
	p := s.publisher(r)
	alerts, err := p.Alerts(exercise)
	if err != nil {
		s.publicFailed(w, err)
		return
	}
	title := "Public alerts"
	if exercise {
		title = "Exercise alerts (not real)"
	}
	prefix := p.PageURL(exercise)
	alerts = alerts[:min(len(alerts), feedEntries)]
	feed := publicfeed.FeedOf(title, prefix+"cap.atom", alerts, func(a *publicfeed.Alert) string {
		return prefix + "cap/" + a.Identifier + ".xml"
	}, s.now())
	body, err := feed.Marshal()
	if err != nil {
		s.publicFailed(w, err)
		return
	}
	writePublic(w, "application/atom+xml; charset=utf-8", body)
}

func (s *Server) publicAlert(w http.ResponseWriter, r *http.Request, exercise bool) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".xml")
	p := s.publisher(r)
	var alert *publicfeed.Alert
	var err error
	if ok {
		alert, err = p.Alert(id, exercise)
	}
	if err != nil {
		s.publicFailed(w, err)
		return
	}
	if alert == nil {
		http.Error(w, "No such alert.", http.StatusNotFound)
		return
	}
	body, err := alert.Marshal()
	if err != nil {
		s.publicFailed(w, err)
		return
	}
	writePublic(w, publicfeed.CAPType+"; charset=utf-8", body)
}

// publicPage lists the messages of activations still running, newest
// first: text only, in a page that needs nothing but itself.
func (s *Server) publicPage(w http.ResponseWriter, r *http.Request, exercise bool) {
	p := s.publisher(r)
	alerts, err := p.Alerts(exercise)
	if err != nil {
		s.publicFailed(w, err)
		return
	}
	v := publicView{Exercise: exercise, Feed: p.PageURL(exercise) + "cap.atom"}
	for _, a := range alerts {
		if a.Current() && a.MsgType != "Cancel" {
			v.Alerts = append(v.Alerts, publicAlert{Sent: a.SentAt().Format("Monday 2 January 2006, 15:04 MST"), Info: a.Info})
		}
	}
	var b strings.Builder
	if err := publicTemplate.Execute(&b, v); err != nil {
		s.publicFailed(w, err)
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'sha256-"+hashOf(publicStyle)+"'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	writePublic(w, "text/html; charset=utf-8", []byte(b.String()))
}

func writePublic(w http.ResponseWriter, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", publicMaxAge)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// publicFailed answers that the record could not be read, and logs why:
// the public see no details.
func (s *Server) publicFailed(w http.ResponseWriter, err error) {
	s.log.Error("the public feed could not be made", slog.Any("err", err))
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "The alerts cannot be read just now; try again in a minute.", http.StatusServiceUnavailable)
}

type publicView struct {
	Exercise bool
	Feed     string
	Alerts   []publicAlert
}

type publicAlert struct {
	Sent string
	Info []publicfeed.Info
}

// publicStyle is the page's only style, allowed by its hash.
const publicStyle = `body{font:1.1rem/1.5 system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;color:#111}
article{border-left:4px solid #0b5394;padding:0 1rem;margin:1.5rem 0}.body{white-space:pre-wrap}.ex{background:#fde68a;padding:.5rem}`

var publicTemplate = template.Must(template.New("public").Parse(`<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Exercise}}Exercise: {{end}}Public messages</title>
<link rel="alternate" type="application/atom+xml" href="{{.Feed}}">
<style>` + publicStyle + `</style>
</head><body><main>
{{if .Exercise}}<p class="ex"><strong>EXERCISE.</strong> These messages are from an exercise, not a real incident.</p>{{end}}
<h1>{{if .Exercise}}Exercise: {{end}}Public messages</h1>
{{range .Alerts}}<article>{{$sent := .Sent}}{{range .Info}}<section lang="{{.Language}}">
<h2>{{.Headline}}</h2>
<p><small>{{.Event}} · {{$sent}}</small></p>
<p class="body">{{.Description}}</p></section>{{end}}</article>
{{else}}<p>There are no current messages.</p>
{{end}}<p><a href="{{.Feed}}">Subscribe to these messages (Atom feed of CAP alerts)</a></p>
</main></body></html>
`))
