package slack

import "sync"

// threads remembers, for each delivery whose thread Slack has begun to
// take, where its first part is and how many parts Slack has accepted, so
// that when a reply fails for a moment (a 429, a 500) the dispatcher's
// next Notify posts only the parts still to go: people see each part once.
//
// What it cannot do: it is memory only, so after a restart, or when
// another node of a cluster takes over the sending, a retry posts the
// whole thread again. A part whose answer was lost on the way back (a
// timeout after Slack took it) is posted again, as a single message would
// be. A delivery the dispatcher gives up on between two tries (its
// deadline, a stand-down) keeps its entry, a few dozen bytes, until the
// process ends. And a part that fails for good fails the delivery, with
// the parts before it already in the channel; the error says which part.
type threads struct {
	mu    sync.Mutex
	begun map[string]thread // by delivery id
}

// thread is how far one delivery's thread has gone.
type thread struct {
	channel, ts string // where the first part is: the thread to reply in
	sent        int    // parts Slack has accepted
	parts       int    // parts in all, when they were counted
}

// resume is where to go on from for a delivery of parts parts: the thread
// begun by an earlier try, or the start. A message laid out differently
// since (a new version of crier) starts again.
func (th *threads) resume(delivery string, parts int) thread {
	th.mu.Lock()
	defer th.mu.Unlock()
	if t, ok := th.begun[delivery]; ok && t.parts == parts {
		return t
	}
	return thread{parts: parts}
}

// remember keeps how far a delivery's thread has gone, for the next try.
func (th *threads) remember(delivery string, t thread) {
	th.mu.Lock()
	defer th.mu.Unlock()
	if th.begun == nil {
		th.begun = map[string]thread{}
	}
	th.begun[delivery] = t
}

// forget drops a delivery that is done: sent whole, or failed for good.
func (th *threads) forget(delivery string) {
	th.mu.Lock()
	defer th.mu.Unlock()
	delete(th.begun, delivery)
}
