package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// The live activation page: its sections are drawn by the same templates
// for the page and for GET /ui/activations/{id}/live, which the page's
// script fetches when the event stream says something happened, to put
// each section in place without a reload.

// liveSections is the activation page's live sections alone, as HTML, each
// in its element with the id the page has for it.
func (s *Server) liveSections(w http.ResponseWriter, r *http.Request, u *User) {
	p, ok := s.activationData(r, u, "", "")
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("There is no activation " + r.PathValue("id") + ".\n"))
		return
	}
	s.renderPage(w, http.StatusOK, "activation-live", p)
}

// incidentClock is what the page needs to keep the time since activation
// running: T+, in the activation's own time (an exercise's scenario time).
// It runs on from the server's time when the page was made, not from the
// browser's clock, which may be wrong.
type incidentClock struct {
	Since   string // T+ when the page was made
	Elapsed int64  // the same, in ms
	Speed   float64
	Running bool // false once stood down or halted: T+ stops at the end
}

func (s *Server) incidentClockOf(a *state.Activation) *incidentClock {
	_, _, speed := engine.ExerciseClock(a)
	c := &incidentClock{Speed: speed, Running: a.State == state.ActivationActive}
	end := s.activationNow(a.ID)
	if !c.Running && !a.EndedAt.IsZero() {
		end = a.EndedAt
	}
	c.Since, c.Elapsed = tPlus(end.Sub(a.StartedAt)), max(end.Sub(a.StartedAt).Milliseconds(), 0)
	return c
}

// tPlus writes the time since activation as an incident clock does:
// T+1:05:09, and the days before it when there are any.
func tPlus(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Truncate(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m, sec := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	out := "T+"
	if days > 0 {
		out += plural(int(days), "day", "days") + " "
	}
	return out + itoa(h) + ":" + pad2(m) + ":" + pad2(sec)
}

func itoa(n int) string { return strconv.Itoa(n) }

func pad2(n int) string { return fmt.Sprintf("%02d", n) }

// liveSummary is one short line about the activation, which a screen
// reader reads when it changes, instead of the tables below.
type liveSummary struct {
	State            string
	AwaitingApproval int
	OpenTasks        int
	AcksWaiting      int
	Overdue          int
	StillWaiting     int
	Failed           int
	Latest           string // the last thing that happened, and when
	LatestAt         time.Time
}

func summarise(a *state.Activation, p *activationPage) liveSummary {
	v := liveSummary{State: a.State, Overdue: len(p.Due.Overdue), StillWaiting: len(p.Still), Failed: len(p.Failed) + len(p.NotArrived)}
	for _, m := range p.Messages {
		if m.State == state.MessagePendingApproval {
			v.AwaitingApproval++
		}
	}
	for _, t := range p.Tasks {
		if t.State == state.TaskOpen || t.State == state.TaskAcknowledged {
			v.OpenTasks++
		}
	}
	for _, w := range p.Waiting {
		v.AcksWaiting += len(w.Who)
	}
	if n := len(p.Timeline); n > 0 {
		v.Latest, v.LatestAt = p.Timeline[n-1].Said(), p.Timeline[n-1].At
	}
	return v
}

// Said is the activation's state as the summary begins: "Running.".
func (v liveSummary) Said() string {
	switch v.State {
	case state.ActivationActive:
		return "Running"
	case state.ActivationHalted:
		return "Halted"
	case state.ActivationStoodDown:
		return "Stood down"
	}
	return strings.ReplaceAll(v.State, "_", " ")
}
