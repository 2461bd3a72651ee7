package state

import (
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Rows is the progress of a delivery to each row of a contact list, kept
// compactly: a few bits a row, and a note for each row that failed. Rows
// are numbered as a spreadsheet numbers them, the header being row 1, so
// the first contact is row 2.
type Rows struct {
	Count int `json:"rows"` // contacts on the list
	// Contacts are the rows with a contact of the delivery's kind (an
	// address, a number): the rows it sends to.
	Contacts int    `json:"contacts"`
	SHA256   string `json:"sha256"` // hex, of the list file as it was opened
	// Attempted and Done are bitsets by contact index (row - 2): handed
	// to a notifier, and finished (sent or failed).
	Attempted, Done []uint64 `json:"-"`
	Sent            int      `json:"sent"`
	Failed          int      `json:"failed"`
	// Errors are the failed rows' reasons, by row.
	Errors map[int]string `json:"failed_rows,omitempty"`
	// Duplicated counts rows crier stopped while sending, sent again.
	Duplicated int `json:"possibly_duplicated,omitempty"`
	// Abandoned says why the rows not yet sent never will be.
	Abandoned string `json:"abandoned,omitempty"`
}

// OpenRows starts the progress of a list of n rows, of which contacts
// have a contact of the delivery's kind.
func OpenRows(n, contacts int, sha string) *Rows {
	words := (n + 63) / 64
	return &Rows{Count: n, Contacts: contacts, SHA256: sha, Attempted: make([]uint64, words), Done: make([]uint64, words)}
}

// Clone is a copy to change: state records are never changed in place.
func (r *Rows) Clone() *Rows {
	c := *r
	c.Attempted, c.Done, c.Errors = slices.Clone(r.Attempted), slices.Clone(r.Done), maps.Clone(r.Errors)
	return &c
}

// FirstRow is the spreadsheet row of the list's first contact.
const FirstRow = 2

func bit(set []uint64, i int) bool { return set[i/64]&(1<<(i%64)) != 0 }
func setBit(set []uint64, i int)   { set[i/64] |= 1 << (i % 64) }
func clearBit(set []uint64, i int) { set[i/64] &^= 1 << (i % 64) }

// Has reports whether row is one of the list's.
func (r *Rows) Has(row int) bool { return row >= FirstRow && row < FirstRow+r.Count }

// IsAttempted and IsDone report a row's progress.
func (r *Rows) IsAttempted(row int) bool { return bit(r.Attempted, row-FirstRow) }
func (r *Rows) IsDone(row int) bool      { return bit(r.Done, row-FirstRow) }

// Attempt marks a row handed to a notifier.
func (r *Rows) Attempt(row int) { setBit(r.Attempted, row-FirstRow) }

// Finish marks a row sent, or failed with a reason.
func (r *Rows) Finish(row int, failure string) {
	setBit(r.Done, row-FirstRow)
	if failure == "" {
		r.Sent++
		return
	}
	r.Failed++
	if r.Errors == nil {
		r.Errors = map[int]string{}
	}
	r.Errors[row] = failure
}

// InFlight are the rows attempted and not finished: those a stop caught.
func (r *Rows) InFlight() []int {
	var out []int
	for w := range r.Attempted {
		for b := r.Attempted[w] &^ r.Done[w]; b != 0; b &= b - 1 {
			out = append(out, FirstRow+w*64+bits.TrailingZeros64(b))
		}
	}
	return out
}

// Resume puts rows caught in flight back to be sent again.
func (r *Rows) Resume(rows []int) {
	for _, row := range rows {
		clearBit(r.Attempted, row-FirstRow)
	}
	r.Duplicated += len(rows)
}

// Finished reports whether every row it sends to has been sent or has
// failed.
func (r *Rows) Finished() bool { return r.Sent+r.Failed >= r.Contacts }

// Abandon fails every row not yet finished, for one reason, and returns
// how many.
func (r *Rows) Abandon(why string) int {
	n := max(r.Contacts-r.Sent-r.Failed, 0)
	r.Failed += n
	r.Abandoned = why
	return n
}

// FailedRows are the rows that failed, in order.
func (r *Rows) FailedRows() []int { return slices.Sorted(maps.Keys(r.Errors)) }

// RowDeliveryID names one row of a list delivery, as the dispatcher
// sends it and its outcome is recorded: the delivery's id, #, the row.
func RowDeliveryID(delivery string, row int) string {
	return delivery + "#" + strconv.Itoa(row)
}

// SplitRowDeliveryID is the delivery and row a row's id names.
func SplitRowDeliveryID(id string) (delivery string, row int, ok bool) {
	delivery, n, found := strings.Cut(id, "#")
	if !found {
		return id, 0, false
	}
	row, err := strconv.Atoi(n)
	if err != nil {
		return id, 0, false
	}
	return delivery, row, true
}

// String summarises the progress: "298 of 300 sent, 2 failed (rows 14, 203)".
func (r *Rows) String() string {
	s := fmt.Sprintf("%d of %d sent", r.Sent, r.Contacts)
	if r.Failed > 0 {
		rows := r.FailedRows()
		var names []string
		for _, row := range rows[:min(len(rows), 10)] {
			names = append(names, strconv.Itoa(row))
		}
		more := ""
		if len(rows) > 10 {
			more = fmt.Sprintf(" and %d more", len(rows)-10)
		}
		s += fmt.Sprintf(", %d failed", r.Failed)
		if len(names) > 0 {
			s += fmt.Sprintf(" (rows %s%s)", strings.Join(names, ", "), more)
		}
	}
	if r.Abandoned != "" {
		s += ": " + r.Abandoned
	}
	return s
}
