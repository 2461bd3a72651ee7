package server

import (
	"net/http"
	"testing"
)

// Anyone signed in logs community tension; a level off the scale is
// refused, in words; the log reads back oldest first.
func TestTheTensionLogOverTheAPI(t *testing.T) {
	f := newWorkFixture(t)
	id := f.briefed()
	path := "/api/v1/activations/" + id + "/tension"
	if code, m := f.call(token("Val"), "POST", path, map[string]any{"area": "Eastgate", "community": "Muslim", "level": 3, "trend": "rising", "note": "Graffiti"}); code != http.StatusCreated {
		t.Fatalf("a viewer logging tension: %d %v", code, m)
	}
	if code, m := f.call(token("Val"), "POST", path, map[string]any{"area": "Eastgate", "level": 7, "trend": "rising"}); code != http.StatusUnprocessableEntity {
		t.Errorf("level 7: %d %v", code, m)
	}
	log, err := f.engine.Read().TensionOf(nil, id)
	if err != nil || len(log) != 1 || log[0].Area != "Eastgate" || log[0].By == "" {
		t.Errorf("the log holds %+v (%v)", log, err)
	}
	req, _ := http.NewRequest("GET", f.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token("Val"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reading the log: %v %v", err, resp)
	}
	resp.Body.Close()
}
