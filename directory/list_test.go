package directory

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadList(t *testing.T) {
	l, err := LoadList(os.DirFS("testdata"), "lists/vulnerable.csv")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("testdata/lists/vulnerable.csv")
	if l.Len() != 2 || l.SHA256 != sha256.Sum256(data) {
		t.Fatalf("%d rows, checksum %x", l.Len(), l.SHA256)
	}
	want := []Row{{"Mrs Ada Hughes", "ada@example.org", "+447700900201", "en"}, {"Mr Ifor Jones", "", "+447700900202", "cy"}}
	for i, w := range want {
		if l.Row(i) != w {
			t.Errorf("row %d = %+v, want %+v", i, l.Row(i), w)
		}
	}
}

// Columns may come in any order and case, a spreadsheet's byte order mark
// and spaces around values are no matter, and a list of only phones is a
// list.
func TestLoadListColumns(t *testing.T) {
	l, err := ParseList("l.csv", []byte("\ufeffPHONE , name\r\n +447700900301 ,Ann\r\n+447700900302,\"Bo, Jr\"\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2 || l.Row(0) != (Row{Name: "Ann", Phone: "+447700900301"}) || l.Row(1).Name != "Bo, Jr" {
		t.Errorf("rows %+v %+v", l.Row(0), l.Row(1))
	}
}

func TestLoadListRefuses(t *testing.T) {
	cases := []struct {
		name, csv string
		want      string // the whole message
	}{
		{"empty", "", "l.csv: is empty; expected a header row naming any of name, email, phone and language, then a row for each contact"},
		{"unknown column", "name,email,postcode\n", `l.csv: row 1: column 3 is "postcode", which crier does not know; the columns are name, email, phone and language`},
		{"repeated column", "email,Email\n", `l.csv: row 1: column 2 is "email" again; each column is named once`},
		{"no contact column", "name,language\nAnn,cy\n", "l.csv: row 1: there is no email or phone column, so no row could reach anyone"},
		{"bad address on row 4", "name,email\nAnn,ann@example.org\nBo,bo@example.org\nCy,cy.example.org\nDi,di@example.org\n",
			"l.csv: row 4: the email address is not valid; expected one address like resident@example.org"},
		{"every row's problems", "email,phone,language\n,,\nann@example.org,07700 900123,cy\nbo@example.org,+447700900123,klingon-please\n",
			"l.csv: row 2: has neither an email address nor a phone number; every row needs at least one\n" +
				"l.csv: row 3: the phone number is not an E.164 number; write it with the country code and no spaces, like +447700900123\n" +
				"l.csv: row 4: the language is not a BCP 47 tag; expected a tag such as cy, ur, pl or pa-Arab"},
		{"ragged row", "name,email\nAnn,ann@example.org,extra\nBo,bo@example.org\n", "l.csv: row 2: has a different number of columns from the header"},
		{"stray quote", "name,email\nAnn \"the\" Baker,ann@example.org\n", "l.csv: row 2: has a stray double quote at character 5; a field with a quote in it is written in quotes, with each quote doubled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := ParseList("l.csv", []byte(c.csv))
			var le *ListError
			if !errors.As(err, &le) {
				t.Fatalf("want a ListError, got %v (list %v)", err, l)
			}
			if err.Error() != c.want {
				t.Errorf("got\n%s\nwant\n%s", err, c.want)
			}
		})
	}
}

// A list with many bad rows names the first twenty and counts the rest,
// and no message repeats what a row holds.
func TestLoadListCapsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := range 500 {
		fmt.Fprintf(&b, "Resident %d,resident-%d-at-example.org\n", i, i)
	}
	_, err := LoadList(fstest.MapFS{"lists/all.csv": {Data: []byte(b.String())}}, "lists/all.csv")
	var le *ListError
	if !errors.As(err, &le) || len(le.Problems) != 20 || le.More != 480 {
		t.Fatalf("got %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "lists/all.csv: row 2: the email address is not valid; expected one address like resident@example.org" ||
		!strings.HasPrefix(lines[19], "lists/all.csv: row 21: ") || lines[20] != "lists/all.csv: and 480 more problems" {
		t.Errorf("got\n%s", err)
	}
	if strings.Contains(err.Error(), "Resident") || strings.Contains(err.Error(), "at-example") {
		t.Errorf("the message repeats a row:\n%s", err)
	}
}

func TestLoadListMissing(t *testing.T) {
	_, err := LoadList(fstest.MapFS{}, "lists/gone.csv")
	if err == nil || err.Error() != "lists/gone.csv: cannot be read: there is no such file" {
		t.Errorf("got %v", err)
	}
}
