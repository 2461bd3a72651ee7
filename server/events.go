package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
)

// eventView is one event of an activation's record, as the stream sends it.
type eventView struct {
	ID         string    `json:"id"`
	Activation string    `json:"activation"`
	Kind       string    `json:"kind"`
	Step       string    `json:"step,omitempty"`
	Subject    string    `json:"subject"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
	Detail     string    `json:"detail"`
}

func viewEvent(e *state.Event) eventView {
	return eventView{ID: e.ID, Activation: e.ActivationID, Kind: e.Kind, Step: engine.StepOf(e.ActivationID, e.Subject),
		Subject: e.Subject, Actor: e.Actor, At: e.At, Detail: e.Detail}
}

// hub hands each committed event to the streams open at the time.
type hub struct {
	mu   sync.Mutex
	subs map[chan *state.Event]struct{}
}

// publish is an engine OnApplied hook. A stream too slow to keep up is
// closed: its client reconnects with Last-Event-ID and catches up from the
// record, so nothing is lost and no commit waits for a browser.
func (h *hub) publish(c engine.Committed) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		if !offer(ch, c.Events) {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// offer puts events on ch without waiting, and says whether all fitted.
func offer(ch chan *state.Event, events []*state.Event) bool {
	for _, ev := range events {
		select {
		case ch <- ev:
		default:
			return false
		}
	}
	return true
}

func (h *hub) subscribe() chan *state.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[chan *state.Event]struct{}{}
	}
	ch := make(chan *state.Event, 256)
	h.subs[ch] = struct{}{}
	return ch
}

func (h *hub) unsubscribe(ch chan *state.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// events streams the record as Server-Sent Events: ?activation= for one
// activation's. A client reconnecting with Last-Event-ID first gets what it
// missed, from the record; ?after= does the same for a first connection
// (a page gives the last event it showed, so nothing committed between
// drawing the page and opening the stream is lost). Last-Event-ID, sent by
// a browser reconnecting, is the later of the two and wins.
func (s *Server) events(w http.ResponseWriter, r *http.Request, _ *User) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "internal", "this connection cannot stream")
		return
	}
	activation := r.URL.Query().Get("activation")
	if a, err := s.engine.Read().Activation(nil, activation); activation != "" && (err != nil || a == nil) {
		writeError(w, http.StatusNotFound, "not_found", "no activation "+activation)
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("after")
		if last != "" && !isEventID(last) {
			writeError(w, http.StatusBadRequest, "bad_request", "after= must be the id of an event, as the stream sends them (such as 00000000000000000012-0000), not "+strconv.Quote(last))
			return
		}
	}
	ch := s.hub.subscribe() // before reading the record, so nothing falls between
	defer s.hub.unsubscribe(ch)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if last != "" {
		var past []*state.Event
		var err error
		if activation != "" {
			past, err = s.engine.Read().EventsOf(nil, activation)
		} else {
			past, err = s.engine.Read().Events(nil)
		}
		if err != nil {
			return
		}
		for _, ev := range past {
			if ev.ID > last {
				writeEvent(w, ev)
				last = ev.ID
			}
		}
	}
	flusher.Flush()
	keepAlive := time.NewTicker(25 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case ev, open := <-ch:
			if !open {
				return // too slow: the client reconnects and catches up
			}
			if (activation != "" && ev.ActivationID != activation) || (last != "" && ev.ID <= last) {
				continue
			}
			writeEvent(w, ev)
		}
		flusher.Flush()
	}
}

// isEventID reports whether id has the form of an event's id: its
// command's index, 20 digits, and its place among the command's events, 4.
func isEventID(id string) bool {
	index, n, ok := strings.Cut(id, "-")
	digits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	return ok && len(index) == 20 && len(n) == 4 && digits(index) && digits(n)
}

func writeEvent(w http.ResponseWriter, ev *state.Event) {
	data, _ := json.Marshal(viewEvent(ev))
	fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", ev.ID, ev.Kind, data)
}
