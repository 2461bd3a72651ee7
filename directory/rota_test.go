package directory

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func northbridge(t testing.TB) *Directory {
	t.Helper()
	d, err := Load("testdata/northbridge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// The rotas hand over at 09:00 on the clock on the wall, in summer time
// and out of it; the times below are UTC, an hour behind in summer.
func TestOnDuty(t *testing.T) {
	d := northbridge(t)
	cases := []struct {
		rota, at, want string
	}{
		// Daily: bryn, asha, chen from Sunday 1 March; 29 March is the
		// 28th handover, asha's, at 09:00 BST.
		{"duty-ep", "2026-03-01 09:00", "bryn"},
		{"duty-ep", "2026-03-02 08:59", "bryn"},
		{"duty-ep", "2026-03-02 09:00", "asha"},
		{"duty-ep", "2026-03-29 07:59", "bryn"},
		{"duty-ep", "2026-03-29 08:00", "asha"},
		{"duty-ep", "2026-03-29 08:30", "asha"},
		// 25 October, the clocks go back at 01:00 UTC: asha from 09:00 GMT.
		{"duty-ep", "2026-10-25 08:30", "bryn"},
		{"duty-ep", "2026-10-25 09:00", "asha"},
		// Weekly: asha, bryn from Monday 5 January at 09:00.
		{"duty-comms", "2026-01-05 09:00", "asha"},
		{"duty-comms", "2026-01-12 08:59", "asha"},
		{"duty-comms", "2026-01-12 09:00", "bryn"},
		{"duty-comms", "2026-03-30 07:59", "bryn"}, // 08:59 BST
		{"duty-comms", "2026-03-30 08:00", "asha"}, // 09:00 BST, the 12th handover
		{"duty-comms", "2026-10-26 08:30", "bryn"}, // 08:30 GMT
		{"duty-comms", "2026-10-26 09:00", "asha"}, // the 42nd handover
		// Christmas: chen from 17:00 on the 24th until 09:00 on the 29th,
		// over the handover of Monday 28th.
		{"duty-comms", "2026-12-24 16:59", "asha"},
		{"duty-comms", "2026-12-24 17:00", "chen"},
		{"duty-comms", "2026-12-28 09:00", "chen"},
		{"duty-comms", "2026-12-29 08:59", "chen"},
		{"duty-comms", "2026-12-29 09:00", "bryn"},
	}
	for _, c := range cases {
		p, err := d.OnDuty(c.rota, utc(c.at))
		if err != nil {
			t.Errorf("%s at %s UTC: %v", c.rota, c.at, err)
			continue
		}
		if string(p.ID) != c.want {
			t.Errorf("%s at %s UTC: %s on duty, want %s", c.rota, c.at, p.ID, c.want)
		}
	}
}

func TestOnDutyRefuses(t *testing.T) {
	d := northbridge(t)
	_, err := d.OnDuty("duty-ep", utc("2026-03-01 08:59"))
	if err == nil || err.Error() != `rota "duty-ep" starts at Sun 1 Mar 2026 09:00 GMT; nobody is on duty before then` {
		t.Errorf("before the start: %v", err)
	}
	if _, err := d.OnDuty("duty-press", utc("2026-03-01 09:00")); err == nil || !strings.Contains(err.Error(), `no rota has id "duty-press"`) {
		t.Errorf("unknown rota: %v", err)
	}
}

func TestNext(t *testing.T) {
	d := northbridge(t)
	cases := []struct {
		rota, at, want, when string
	}{
		{"duty-ep", "2026-02-01 12:00", "bryn", "2026-03-01 09:00"}, // before the start
		{"duty-ep", "2026-03-28 12:00", "asha", "2026-03-29 08:00"}, // 09:00 BST
		{"duty-comms", "2026-10-20 12:00", "asha", "2026-10-26 09:00"},
		{"duty-comms", "2026-12-24 12:00", "chen", "2026-12-24 17:00"},
		// The handover of the 28th happens under the override, so the next
		// change is the override's end.
		{"duty-comms", "2026-12-25 12:00", "bryn", "2026-12-29 09:00"},
	}
	for _, c := range cases {
		p, when, err := d.Next(c.rota, utc(c.at))
		if err != nil {
			t.Errorf("%s after %s: %v", c.rota, c.at, err)
			continue
		}
		if string(p.ID) != c.want || !when.Equal(utc(c.when)) {
			t.Errorf("%s after %s UTC: %s at %s, want %s at %s UTC", c.rota, c.at, p.ID, when.UTC().Format("2006-01-02 15:04"), c.want, c.when)
		}
	}
}

func TestNextOnARotaOfOne(t *testing.T) {
	d, err := Parse("d.yaml", []byte(head+"rotas:\n  - {id: r, name: R, people: [asha], start: 2026-01-05, handover: \"09:00\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, when, err := d.Next("r", utc("2026-01-06 12:00"))
	if err != nil || p.ID != "asha" || !when.Equal(utc("2026-01-07 09:00")) {
		t.Errorf("Next = %s at %s, %v; want asha at the next handover", p.ID, when, err)
	}
}

// With a thousand overrides, back to back and with gaps, the binary
// search finds the same person as looking through them one by one.
func TestManyOverrides(t *testing.T) {
	d := manyOverrides(t, 1000)
	r := d.rotas["r"]
	rng := rand.New(rand.NewPCG(1, 2))
	start := utc("2026-01-05 09:00")
	for range 5000 {
		at := start.Add(time.Duration(rng.Int64N(int64(3000 * 24 * time.Hour))))
		got, err := d.OnDuty("r", at)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := onDutyByScan(r, at)
		if got.ID != want.ID {
			t.Fatalf("at %s: %s, want %s", at, got.ID, want.ID)
		}
	}
}

func onDutyByScan(r *rota, at time.Time) (Person, bool) {
	for _, o := range r.overrides {
		if !at.Before(o.from) && at.Before(o.until) {
			return o.person, true
		}
	}
	k := r.turn(at)
	return r.people[k%len(r.people)], k >= 0
}

// manyOverrides is a directory whose rota r has n overrides, of one
// day or three, every third day: the three-day ones back to back with the next, written in no order.
func manyOverrides(t testing.TB, n int) *Directory {
	t.Helper()
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("  - {id: chen, name: Chen Li, email: chen@northbridge.gov.uk}\nrotas:\n  - id: r\n    name: R\n    people: [asha, bryn]\n    start: 2026-01-05\n    handover: \"Mon 09:00\"\n    overrides:\n")
	day := utc("2026-01-06 00:00")
	for i := range n {
		j := (i * 7919) % n // a permutation, since 7919 is prime and n is not its multiple
		from := day.AddDate(0, 0, 3*j)
		fmt.Fprintf(&b, "      - {person: chen, from: %q, until: %q}\n", from.Format(localLayout), from.AddDate(0, 0, 1+2*(j%2)).Format(localLayout))
	}
	d, err := Parse("many.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// An override may put someone on duty before the rota starts, and a time
// the clocks skip counts as an hour later, as docs/directory.md says.
func TestOverrideEdges(t *testing.T) {
	d, err := Parse("d.yaml", []byte(head+`rotas:
  - id: r
    name: R
    people: [asha]
    start: 2026-04-06
    handover: "Mon 09:00"
    overrides:
      - {person: bryn, from: "2026-03-29 01:30", until: "2026-03-29 03:00"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.OnDuty("r", utc("2026-03-29 01:15")); err == nil {
		t.Error("someone on duty at 02:15 BST, before the override and the rota")
	}
	for _, at := range []string{"2026-03-29 01:30", "2026-03-29 01:59"} { // 02:30 and 02:59 BST
		if p, err := d.OnDuty("r", utc(at)); err != nil || p.ID != "bryn" {
			t.Errorf("at %s UTC: %s, %v; want bryn", at, p.ID, err)
		}
	}
	if _, err := d.OnDuty("r", utc("2026-03-29 02:00")); err == nil {
		t.Error("someone on duty at 03:00 BST, after the override and before the rota")
	}
}
