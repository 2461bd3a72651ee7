package directory

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/crierhq/crier/runbooks"
)

// MaxListSize is the largest list file crier reads: 64 MiB, some 500,000
// rows of a name, an address, a number and a language.
const MaxListSize = 64 << 20

// maxListProblems is how many problems with a list's rows are told one by
// one; the rest are counted.
const maxListProblems = 20

// List is a contact list read from a CSV file. Its rows are never logged
// nor copied into the record: the record keeps the list's id, its row
// count and its SHA-256.
type List struct {
	// File is the list's file as it was named.
	File string
	// SHA256 is the checksum of the file's bytes.
	SHA256 [sha256.Size]byte
	// Email and Phone: whether the list has the column.
	Email, Phone bool
	rows         []Row
}

// Row is one row of a list: at least an email address or a phone number.
type Row struct {
	Name     string
	Email    string
	Phone    string
	Language string
}

// Len is the number of rows, the header not counted.
func (l *List) Len() int { return len(l.rows) }

// Row is the i-th row, counting from 0; the header is not a row.
func (l *List) Row(i int) Row { return l.rows[i] }

// Count is how many rows have a contact: their contact(row) is not "".
func (l *List) Count(contact func(Row) string) int {
	n := 0
	for _, r := range l.rows {
		if contact(r) != "" {
			n++
		}
	}
	return n
}

// ListError is every problem found in a list file: the first few told one
// by one, the rest counted. It says which row each is on, counting rows
// as a spreadsheet does (the header is row 1), and never repeats what a
// row holds.
type ListError struct {
	File     string
	Problems []string // each "row N: …" or about the file as a whole
	More     int      // problems not told
}

func (e *ListError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.File + ": " + p
	}
	if e.More > 0 {
		lines = append(lines, fmt.Sprintf("%s: and %d more problems", e.File, e.More))
	}
	return strings.Join(lines, "\n")
}

func (e *ListError) add(format string, args ...any) {
	if len(e.Problems) < maxListProblems {
		e.Problems = append(e.Problems, fmt.Sprintf(format, args...))
	} else {
		e.More++
	}
}

// columns of a list, as the header may name them in any order and case.
const (
	colName = iota
	colEmail
	colPhone
	colLanguage
	colCount
)

var columnNames = [colCount]string{"name", "email", "phone", "language"}

// LoadList reads and checks the list in the file name of fsys: a header
// row naming any of the columns name, email, phone and language, then
// rows that each have an email address or a phone number, checked as a
// runbook's contacts are. On any problem it returns a *ListError of every
// problem in the file.
func LoadList(fsys fs.FS, name string) (*List, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, &ListError{File: name, Problems: []string{"cannot be read: " + plainOpenError(err)}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxListSize+1))
	if err != nil {
		return nil, &ListError{File: name, Problems: []string{"cannot be read: " + err.Error()}}
	}
	return ParseList(name, data)
}

func plainOpenError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "there is no such file"
	case errors.Is(err, fs.ErrPermission):
		return "crier is not allowed to read it"
	}
	return err.Error()
}

// ParseList checks a list read from a file; name is used in messages. It
// returns what LoadList returns.
func ParseList(name string, data []byte) (*List, error) {
	problems := &ListError{File: name}
	if len(data) > MaxListSize {
		problems.add("is larger than %d MiB; split it into smaller lists", MaxListSize>>20)
		return nil, problems
	}
	list := &List{File: name, SHA256: sha256.Sum256(data)}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		problems.add("is empty; expected a header row naming any of name, email, phone and language, then a row for each contact")
		return nil, problems
	}
	if err != nil {
		problems.add("row 1: %s", plainCSVError(err))
		return nil, problems
	}
	var index [colCount]int // the column each field is in, or -1
	for i := range index {
		index[i] = -1
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		c := -1
		for k, n := range columnNames {
			if h == n {
				c = k
			}
		}
		switch {
		case c < 0:
			problems.add("row 1: column %d is %q, which crier does not know; the columns are name, email, phone and language", i+1, header[i])
		case index[c] >= 0:
			problems.add("row 1: column %d is %q again; each column is named once", i+1, h)
		default:
			index[c] = i
		}
	}
	if index[colEmail] < 0 && index[colPhone] < 0 && len(problems.Problems) == 0 {
		problems.add("row 1: there is no email or phone column, so no row could reach anyone")
	}
	if len(problems.Problems) > 0 {
		return nil, problems
	}
	list.Email, list.Phone = index[colEmail] >= 0, index[colPhone] >= 0
	// A row for each line, as most lists have no line breaks in fields.
	list.rows = make([]Row, 0, bytes.Count(data, []byte("\n")))
	// Lists repeat a handful of languages, so each tag is checked once.
	languages := map[string]bool{}
	field := func(record []string, c int) string {
		if index[c] < 0 {
			return ""
		}
		return strings.TrimSpace(record[index[c]])
	}
	// encoding/csv holds a record's fields in one string, so a row costs
	// its text and four string headers.
	for row := 2; ; row++ {
		record, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			problems.add("row %d: %s", row, plainCSVError(err))
			continue
		}
		v := Row{Name: field(record, colName), Email: field(record, colEmail),
			Phone: field(record, colPhone), Language: field(record, colLanguage)}
		ok := true
		if v.Email == "" && v.Phone == "" {
			problems.add("row %d: has neither an email address nor a phone number; every row needs at least one", row)
			ok = false
		}
		if v.Email != "" && !plainAddress(v.Email) && runbooks.EmailProblem(v.Email) != "" {
			problems.add("row %d: the email address is not valid; expected one address like resident@example.org", row)
			ok = false
		}
		if v.Phone != "" && !plainNumber(v.Phone) && runbooks.PhoneProblem(v.Phone) != "" {
			problems.add("row %d: the phone number is not an E.164 number; write it with the country code and no spaces, like +447700900123", row)
			ok = false
		}
		good, seen := languages[v.Language]
		if !seen {
			good = runbooks.LanguageProblem(v.Language) == ""
			if len(languages) < 1000 {
				languages[v.Language] = good
			}
		}
		if v.Language != "" && !good {
			problems.add("row %d: the language is not a BCP 47 tag; expected a tag such as cy, ur, pl or pa-Arab", row)
			ok = false
		}
		if ok && len(problems.Problems) == 0 {
			list.rows = append(list.rows, v)
		}
	}
	if len(problems.Problems) > 0 {
		return nil, problems
	}
	list.rows = slices.Clip(list.rows)
	return list, nil
}

// plainAddress reports whether s is a bare address of the plainest kind,
// letters@host.domain as RFC 5322 writes a dot-atom on each side of the @,
// which net/mail always accepts. It only saves time: a list of 100,000
// addresses would spend most of its loading in net/mail, so that anything
// else, quoted names and display names included, is left to it.
func plainAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && dotAtom(s[:at]) && dotAtom(s[at+1:])
}

// plainNumber reports whether s is an E.164 number, +447700900123, as
// runbooks.PhoneProblem's pattern says, without a regular expression's
// cost on every row.
func plainNumber(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// dotAtom reports whether s is atoms of RFC 5322's atext joined by dots.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// plainCSVError says in words what encoding/csv found wrong with a row,
// without its Go wording.
func plainCSVError(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			return "has a different number of columns from the header"
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return fmt.Sprintf("has a stray double quote at character %d; a field with a quote in it is written in quotes, with each quote doubled", pe.Column)
		}
	}
	return "cannot be read as CSV"
}
