package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/crierhq/crier/engine"
)

// northbridge is a directory: on the fixture's clock (Sunday 22 November
// 2026, 09:00 GMT) Bryn is on the duty comms rota until Monday 09:00,
// when Asha takes over.
const northbridge = `kind: directory
version: 1
timezone: Europe/London

organisations:
  - {id: nbc, name: Northbridge Council}
  - {id: police, name: Northbridge Police}

people:
  - {id: asha, name: Asha Patel, organisation: nbc, phone: "+447700900101", email: asha.patel@northbridge.gov.uk}
  - {id: bryn, name: Bryn Evans, organisation: nbc, email: bryn.evans@northbridge.gov.uk, slack: U04BRYN0001}
  - {id: chen, name: Chen Li, organisation: police, phone: "+447700900303"}

rotas:
  - id: duty-comms
    name: Duty communications officer
    people: [asha, bryn]    # in turn
    start: 2026-01-05
    handover: "Mon 09:00"
    overrides:
      - {person: chen, from: "2026-12-24 17:00", until: "2026-12-29 09:00"}

lists:
  - {id: vulnerable, name: Vulnerable residents, file: lists/vulnerable.csv}
`

// withDirectory puts the directory in force, as crier serve does with the
// file it finds.
func (f *fixture) withDirectory(text string) {
	f.t.Helper()
	if _, err := f.engine.Apply(context.Background(), &engine.SetDirectory{Meta: engine.Meta{Actor: "crier serve"},
		Source: []byte(text), Name: "directory.yaml", FileSHA256: "seeded"}); err != nil {
		f.t.Fatal(err)
	}
}

// sendText makes a request with a body of its own type, and returns the answer's text.
func (f *fixture) sendText(tok, method, path, contentType, body string) (int, string, http.Header) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.http.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

func rotaOf(t *testing.T, dir map[string]any, id string) map[string]any {
	t.Helper()
	rotas, _ := dir["rotas"].([]any)
	for _, r := range rotas {
		if r := r.(map[string]any); r["id"] == id {
			return r
		}
	}
	t.Fatalf("no rota %s in %v", id, dir)
	return nil
}

func nameOf(v any) any {
	if m, ok := v.(map[string]any); ok {
		return m["name"]
	}
	return v
}

// Anyone signed in reads who is on duty now, until when, and who is next,
// and how to reach everyone; a list shows what it is, never a row. A
// viewer may not change the directory; without one, crier says how to add it.
func TestDirectoryReadByAnyone(t *testing.T) {
	f := newFixture(t)
	code, out := f.call(token("Val"), "GET", "/api/v1/directory", nil)
	if code != http.StatusNotFound || !strings.Contains(out["error"].(string), "docs/directory.md") {
		t.Fatalf("no directory: %d %v", code, out)
	}
	f.withDirectory(northbridge)
	code, out = f.call(token("Val"), "GET", "/api/v1/directory", nil)
	if code != http.StatusOK {
		t.Fatalf("%d %v", code, out)
	}
	r := rotaOf(t, out, "duty-comms")
	if nameOf(r["on_duty"]) != "Bryn Evans" || r["until"] != "2026-11-23T09:00:00Z" || nameOf(r["next"]) != "Asha Patel" || r["cover"] != nil {
		t.Errorf("duty comms: %v", r)
	}
	if out["set_by"] != "crier serve" || out["timezone"] != "Europe/London" {
		t.Errorf("set by %v in %v", out["set_by"], out["timezone"])
	}
	people := out["people"].([]any)
	asha := people[0].(map[string]any)
	if asha["phone"] != "+447700900101" || asha["has"].(map[string]any)["slack"] != false || asha["has"].(map[string]any)["phone"] != true {
		t.Errorf("asha: %v", asha)
	}
	list := out["lists"].([]any)[0].(map[string]any)
	if list["name"] != "Vulnerable residents" || list["file"] != "lists/vulnerable.csv" || list["rows"] != nil {
		t.Errorf("list: %v", list)
	}
	code, body, h := f.sendText(token("Val"), "GET", "/api/v1/directory?format=yaml", "", "")
	if code != http.StatusOK || body != northbridge || !strings.Contains(h.Get("Content-Disposition"), `filename="directory.yaml"`) {
		t.Errorf("the file: %d %q %s", code, h.Get("Content-Disposition"), body)
	}
	if code, _, _ := f.sendText(token("Val"), "PUT", "/api/v1/directory", "application/yaml", northbridge); code != http.StatusForbidden {
		t.Errorf("a viewer put the directory: %d", code)
	}
	if code, _ := f.call(token("Val"), "POST", "/api/v1/directory/rotas/duty-comms/cover", map[string]string{"person": "chen", "from": "2026-11-22 09:00", "until": "2026-11-22 18:00"}); code != http.StatusForbidden {
		t.Errorf("a viewer put someone on cover: %d", code)
	}
}

// A planner puts a new directory in force: a new version, set by them.
// One with problems is refused with each located, and the one in force
// stays; one not sent as YAML is refused saying how to send it.
func TestDirectoryPutByAPlanner(t *testing.T) {
	f := newFixture(t)
	f.withDirectory(northbridge)
	_, before := f.call(token("Val"), "GET", "/api/v1/directory", nil)
	swapped := strings.Replace(northbridge, "people: [asha, bryn]", "people: [bryn, asha]", 1)
	code, body, _ := f.sendText(token("Priya"), "PUT", "/api/v1/directory", "application/yaml", swapped)
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	_, after := f.call(token("Val"), "GET", "/api/v1/directory", nil)
	if after["version"] == before["version"] || after["set_by"] != "Priya Planner" || nameOf(rotaOf(t, after, "duty-comms")["on_duty"]) != "Asha Patel" {
		t.Errorf("after the put: version %v (was %v), set by %v, on duty %v", after["version"], before["version"], after["set_by"], rotaOf(t, after, "duty-comms")["on_duty"])
	}

	bad := strings.Replace(swapped, "people: [bryn, asha]", "people: [bryn, dana]", 1)
	code, body, _ = f.sendText(token("Ada"), "PUT", "/api/v1/directory", "text/yaml; charset=utf-8", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `directory.yaml:17:20: rotas[0].people[1]: no person has id \"dana\"`) || !strings.Contains(body, `"code": "unprocessable"`) {
		t.Errorf("invalid: %d %s", code, body)
	}
	if _, again := f.call(token("Val"), "GET", "/api/v1/directory", nil); again["version"] != after["version"] {
		t.Errorf("an invalid directory changed the one in force: %v", again["version"])
	}
	code, body, _ = f.sendText(token("Priya"), "PUT", "/api/v1/directory", "application/json", `{"kind": "directory"}`)
	if code != http.StatusUnsupportedMediaType || !strings.Contains(body, "Content-Type: application/yaml") {
		t.Errorf("JSON: %d %s", code, body)
	}
}

// A planner puts someone on cover: the override is added to the file
// (its comments kept) and they are on duty at once. A cover overlapping
// another is refused with the directory's own words; so are a person or
// a rota the directory does not have.
func TestDirectoryCover(t *testing.T) {
	f := newFixture(t)
	f.withDirectory(northbridge)
	cover := func(tok, rota, person, from, until string) (int, map[string]any) {
		return f.call(tok, "POST", "/api/v1/directory/rotas/"+rota+"/cover", map[string]string{"person": person, "from": from, "until": until})
	}
	code, out := cover(token("Priya"), "duty-comms", "chen", "2026-11-22 08:00", "2026-11-23 12:00")
	if code != http.StatusOK {
		t.Fatalf("%d %v", code, out)
	}
	r := rotaOf(t, out, "duty-comms")
	if nameOf(r["on_duty"]) != "Chen Li" || r["until"] != "2026-11-23T12:00:00Z" || nameOf(r["next"]) != "Asha Patel" {
		t.Errorf("after the cover: %v", r)
	}
	if c, _ := r["cover"].(map[string]any); c == nil || c["person"] != "chen" || c["until"] != "2026-11-23 12:00" {
		t.Errorf("the cover in force: %v", r["cover"])
	}
	if out["set_by"] != "Priya Planner" {
		t.Errorf("set by %v", out["set_by"])
	}
	_, text, _ := f.sendText(token("Val"), "GET", "/api/v1/directory?format=yaml", "", "")
	if !strings.Contains(text, "people: [asha, bryn]    # in turn\n") || !strings.Contains(text, `"2026-12-29 09:00"}
      - {person: chen, from: "2026-11-22 08:00", until: "2026-11-23 12:00"}
`) {
		t.Errorf("the file after the cover:\n%s", text)
	}

	code, out = cover(token("Ada"), "duty-comms", "asha", "2026-11-23 10:00", "2026-11-23 14:00")
	if msg, _ := out["error"].(string); code != http.StatusUnprocessableEntity ||
		!strings.Contains(msg, "Not put on cover") || !strings.Contains(msg, "this override overlaps the one at line 22 (2026-11-22 08:00 until 2026-11-23 12:00)") {
		t.Errorf("an overlapping cover: %d %v", code, out)
	}
	if code, out := cover(token("Priya"), "duty-comms", "dana", "2026-11-24 10:00", "2026-11-24 14:00"); code != http.StatusUnprocessableEntity || !strings.Contains(out["error"].(string), `no person has id "dana"`) {
		t.Errorf("an unknown person: %d %v", code, out)
	}
	if code, out := cover(token("Priya"), "duty-press", "asha", "2026-11-24 10:00", "2026-11-24 14:00"); code != http.StatusNotFound || !strings.Contains(out["error"].(string), `no rota has id "duty-press"`) {
		t.Errorf("an unknown rota: %d %v", code, out)
	}
}
