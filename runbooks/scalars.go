package runbooks

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Slug is an id: lower-case letters, digits and hyphens, at most 64 characters.
type Slug string

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

const maxSlugLen = 64

func (s *Slug) decodeNode(d *decoder, n *yaml.Node, path string) {
	v, ok := d.scalar(n, path, "an id")
	if !ok {
		return
	}
	switch {
	case len(v) > maxSlugLen:
		d.errorf(n, path, "%q is %d characters long; ids are at most %d", v, len(v), maxSlugLen)
	case !slugRE.MatchString(v):
		d.errorf(n, path, "%q is not a valid id; use lower-case letters, digits and hyphens, starting with a letter or digit (like %q)", v, slugify(v))
	}
	*s = Slug(v)
}

// slugify suggests an id for text that is not one.
func slugify(v string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(v) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "my-id"
	}
	return out
}

// Ref is a reference written in the runbook: a step, channel, stakeholder,
// audience or role:X, or in some places an address or language tag.
type Ref struct {
	Name string
	Pos  Pos
}

func (r *Ref) decodeNode(d *decoder, n *yaml.Node, path string) {
	v, ok := d.scalar(n, path, "a name")
	switch {
	case !ok:
		*r = Ref{Pos: posOf(n)} // refused already; anything said of it later is still located
	case strings.TrimSpace(v) == "":
		*r = Ref{Pos: posOf(n)}
		d.errorf(n, path, "the name is empty")
	default:
		*r = Ref{Name: v, Pos: posOf(n)}
		kind, id, isPointer := r.Pointer()
		if list, ok := r.List(); ok {
			kind, id = "list", list
		}
		switch {
		case kind == "":
		case !slugRE.MatchString(id) || len(id) > maxSlugLen:
			d.errorf(n, path, "%q is not a valid %s id; directory ids are lower-case letters, digits and hyphens (like %s:%s)", id, kind, kind, slugify(id))
		case isPointer:
			d.pointers = append(d.pointers, pointer{*r, path})
		}
	}
}

// Role returns X for a role:X reference.
func (r Ref) Role() (string, bool) { return strings.CutPrefix(r.Name, "role:") }

func (r Ref) String() string { return r.Name }

// Pointer returns "person" or "rota" and the id, for a person:ID or
// rota:ID reference: a stakeholder kept in the directory.
func (r Ref) Pointer() (kind, id string, ok bool) {
	kind, id, ok = strings.Cut(r.Name, ":")
	if !ok || (kind != "person" && kind != "rota") {
		return "", "", false
	}
	return kind, id, true
}

// List returns ID for a list:ID reference: a contact list in the directory.
func (r Ref) List() (string, bool) { return strings.CutPrefix(r.Name, "list:") }

// Names returns the names of refs, as written.
func Names(refs []Ref) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Name
	}
	return out
}

// Addresses is one email address or a list of them.
type Addresses []Ref

func (a *Addresses) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		*a = Addresses{{Name: n.Value, Pos: posOf(n)}}
		return
	}
	var refs []Ref
	d.decodeSlice(n, reflect.ValueOf(&refs).Elem(), path, 0, 0)
	*a = refs
}

// Duration is an offset or interval in Go syntax extended with d (24h) and
// w (7d): 0s, 30m, 2h, 3d, 1d12h, 2w.
type Duration struct {
	D    time.Duration
	Text string
	Pos  Pos
}

// maxDuration keeps offsets far from time.Duration's 290-year overflow.
const maxDuration = 10 * 366 * 24 * time.Hour

func (du *Duration) decodeNode(d *decoder, n *yaml.Node, path string) {
	v, ok := d.scalar(n, path, "a duration such as 30m, 2h or 3d")
	if !ok {
		return
	}
	dur, err := ParseDuration(v)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	*du = Duration{D: dur, Text: v, Pos: posOf(n)}
}

var durationPart = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d|w)`)

// ParseDuration reads a duration in Go syntax extended with d and w.
// Negative durations are refused: runbook offsets count forward.
func ParseDuration(s string) (time.Duration, error) {
	bad := func(why string) error {
		return fmt.Errorf("%q is not a duration%s; expected a number and unit like 30m, 2h, 3d or 1w (units: s, m, h, d, w)", s, why)
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, bad("")
	}
	if strings.HasPrefix(s, "-") {
		return 0, bad(" (durations cannot be negative)")
	}
	var total float64
	for rest := s; rest != ""; {
		m := durationPart.FindStringSubmatch(rest)
		if m == nil {
			if _, err := strconv.ParseFloat(rest, 64); err == nil {
				return 0, bad(" (the number " + rest + " has no unit)")
			}
			return 0, bad("")
		}
		f, _ := strconv.ParseFloat(m[1], 64)
		total += f * float64(unitOf(m[2]))
		rest = rest[len(m[0]):]
	}
	if total > float64(maxDuration) {
		return 0, fmt.Errorf("%q is longer than 10 years, the longest duration a runbook may use", s)
	}
	return time.Duration(total), nil
}

func unitOf(u string) time.Duration {
	switch u {
	case "ns":
		return time.Nanosecond
	case "us", "µs":
		return time.Microsecond
	case "ms":
		return time.Millisecond
	case "s":
		return time.Second
	case "m":
		return time.Minute
	case "h":
		return time.Hour
	case "d":
		return 24 * time.Hour
	}
	return 7 * 24 * time.Hour
}

// FormatDuration writes d in the runbook's own syntax: 30m, 2h30m, 3d, 9d22h.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	if d > 0 {
		b.WriteString(d.String())
	}
	return b.String()
}

// HumanDuration writes a duration for people to read: to the second at
// most, in its largest unit and the next one down when that is not zero:
// "45s", "5m 30s", "1h 5m", "2d 3h". The record keeps the exact value.
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	units := []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for i, u := range units {
		if d < u.unit {
			continue
		}
		out := fmt.Sprintf("%s%d%s", sign, d/u.unit, u.name)
		if i+1 < len(units) {
			if next := (d % u.unit) / units[i+1].unit; next > 0 {
				out += fmt.Sprintf(" %d%s", next, units[i+1].name)
			}
		}
		return out
	}
	return "0s"
}
