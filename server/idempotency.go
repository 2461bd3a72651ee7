package server

import (
	"container/list"
	"net/http"
	"sync"
	"time"
)

// Idempotency keys (the IETF draft "The Idempotency-Key HTTP Header
// Field"): the same key from the same user, for the same method, path and
// body, within keyLife, is one action. The first request is carried out and
// its answer kept; a repeat gets that answer and changes nothing; the key
// with another request is refused; a repeat while the first is still being
// carried out is told so. The answers are kept in this process's memory
// only: a restart forgets them, and each node of a cluster keeps its own.

const (
	keyLife        = 24 * time.Hour
	keysPerUser    = 1000
	keysInAll      = 20000
	keptAnswerSize = 64 << 20 // bytes of answers kept in all
)

// idemKey is one user's key: users are told apart by their token's digest.
type idemKey struct {
	user [32]byte
	key  string
}

// answer is a response as it was first given.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a *answer) size() int { return len(a.body) + 512 } // headers, roughly

// keyUse is a key's first request: what it was, when, and its answer once
// it has one.
type keyUse struct {
	key         idemKey
	fingerprint [32]byte
	at          time.Time
	answer      *answer       // nil while the first request is carried out
	done        chan struct{} // closed when the answer is in, or the key let go
	all, mine   *list.Element // in keys.order, and in keys.byUser[key.user]
}

// keys holds the keys seen, oldest first, within their limits.
type keys struct {
	mu     sync.Mutex
	now    func() time.Time
	uses   map[idemKey]*keyUse
	order  *list.List // of *keyUse, oldest first
	byUser map[[32]byte]*list.List
	bytes  int
	// The limits, as fields so that a test can make them small.
	perUser, inAll, maxBytes int
}

func newKeys(now func() time.Time) *keys {
	return &keys{now: now, uses: map[idemKey]*keyUse{}, order: list.New(), byUser: map[[32]byte]*list.List{},
		perUser: keysPerUser, inAll: keysInAll, maxBytes: keptAnswerSize}
}

// seen says what a request with a key is.
type seen int

const (
	seenFirst      seen = iota // not seen: carry it out, then finish or forget
	seenAnswered               // the same request, answered: give use.answer
	seenInProgress             // the same request, still being carried out
	seenOther                  // the key was used for another request
)

// use looks a key up for a request with this fingerprint, and when it is
// new, records it as being carried out.
func (ks *keys) use(k idemKey, fingerprint [32]byte) (*keyUse, seen) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	now := ks.now()
	for e := ks.order.Front(); e != nil; e = ks.order.Front() { // the oldest expire first
		if u := e.Value.(*keyUse); now.Sub(u.at) >= keyLife {
			ks.remove(u)
			continue
		}
		break
	}
	if u, ok := ks.uses[k]; ok {
		switch {
		case u.fingerprint != fingerprint:
			return u, seenOther
		case u.answer == nil:
			return u, seenInProgress
		}
		return u, seenAnswered
	}
	u := &keyUse{key: k, fingerprint: fingerprint, at: now, done: make(chan struct{})}
	ks.uses[k] = u
	u.all = ks.order.PushBack(u)
	mine := ks.byUser[k.user]
	if mine == nil {
		mine = list.New()
		ks.byUser[k.user] = mine
	}
	u.mine = mine.PushBack(u)
	for mine.Len() > ks.perUser {
		ks.remove(mine.Front().Value.(*keyUse))
	}
	for ks.order.Len() > ks.inAll {
		ks.remove(ks.order.Front().Value.(*keyUse))
	}
	return u, seenFirst
}

// finish keeps the answer to a key's first request.
func (ks *keys) finish(u *keyUse, a *answer) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	u.answer = a
	close(u.done)
	if ks.uses[u.key] != u {
		return // let go meanwhile, to keep within the limits
	}
	ks.bytes += a.size()
	for ks.bytes > ks.maxBytes && ks.order.Len() > 0 {
		ks.remove(ks.order.Front().Value.(*keyUse))
	}
}

// forget lets a key go without an answer (its request failed before
// answering), so that it may be used again.
func (ks *keys) forget(u *keyUse) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.uses[u.key] == u {
		ks.remove(u)
	}
	close(u.done)
}

func (ks *keys) remove(u *keyUse) {
	delete(ks.uses, u.key)
	ks.order.Remove(u.all)
	if mine := ks.byUser[u.key.user]; mine != nil {
		mine.Remove(u.mine)
		if mine.Len() == 0 {
			delete(ks.byUser, u.key.user)
		}
	}
	if u.answer != nil {
		ks.bytes -= u.answer.size()
	}
}
