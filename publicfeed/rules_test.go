package publicfeed_test

import (
	"bytes"
	"encoding/xml"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The CAP 1.2 rules the tests hold every alert to, from the standard
// (OASIS CAP-V1.2, section 3.2): the required elements, their
// enumerations, the form of times and of references.

var (
	// capTime is CAP's date and time: a numeric offset, UTC as -00:00.
	capTime     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(-\d\d:\d\d|\+(0[1-9]|1\d):\d\d|\+00:(0[1-9]|[1-5]\d))$`)
	capNoSpaces = regexp.MustCompile(`^[^\s,<&]+$`)
	statuses    = []string{"Actual", "Exercise", "System", "Test", "Draft"}
	msgTypes    = []string{"Alert", "Update", "Cancel", "Ack", "Error"}
	scopes      = []string{"Public", "Restricted", "Private"}
	categories  = []string{"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"}
	urgencies   = []string{"Immediate", "Expected", "Future", "Past", "Unknown"}
	severities  = []string{"Extreme", "Severe", "Moderate", "Minor", "Unknown"}
	certainties = []string{"Observed", "Likely", "Possible", "Unlikely", "Unknown"}
)

// capAlert is an alert as a CAP reader reads it, elements in order.
type capAlert struct {
	XMLName    xml.Name
	Identifier string `xml:"identifier"`
	Sender     string `xml:"sender"`
	Sent       string `xml:"sent"`
	Status     string `xml:"status"`
	MsgType    string `xml:"msgType"`
	Scope      string `xml:"scope"`
	References string `xml:"references"`
	Info       []struct {
		Language    string   `xml:"language"`
		Category    []string `xml:"category"`
		Event       string   `xml:"event"`
		Urgency     string   `xml:"urgency"`
		Severity    string   `xml:"severity"`
		Certainty   string   `xml:"certainty"`
		Headline    string   `xml:"headline"`
		Description string   `xml:"description"`
		Web         string   `xml:"web"`
	} `xml:"info"`
}

// alertOrder is the order CAP's schema puts an alert's elements in.
var alertOrder = []string{"identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction", "addresses",
	"code", "note", "references", "incidents", "info"}

// infoOrder is the order of an info's elements.
var infoOrder = []string{"language", "category", "event", "responseType", "urgency", "severity", "certainty", "audience",
	"eventCode", "effective", "onset", "expires", "senderName", "headline", "description", "instruction", "web", "contact",
	"parameter", "resource", "area"}

// checkCAP parses a CAP document and fails the test for every rule it
// breaks; it returns the alert.
func checkCAP(t *testing.T, doc []byte) capAlert {
	t.Helper()
	var a capAlert
	if err := xml.Unmarshal(doc, &a); err != nil {
		t.Fatalf("not XML: %v\n%s", err, doc)
	}
	if a.XMLName.Space != "urn:oasis:names:tc:emergency:cap:1.2" || a.XMLName.Local != "alert" {
		t.Errorf("root = %v, want CAP 1.2's alert", a.XMLName)
	}
	checkOrder(t, doc, alertOrder, infoOrder)
	required := map[string]string{"identifier": a.Identifier, "sender": a.Sender, "sent": a.Sent, "status": a.Status, "msgType": a.MsgType, "scope": a.Scope}
	for name, v := range required {
		if v == "" {
			t.Errorf("%s: no %s", a.Identifier, name)
		}
	}
	for name, v := range map[string]string{"identifier": a.Identifier, "sender": a.Sender} {
		if !capNoSpaces.MatchString(v) {
			t.Errorf("%s %q has a space, comma, < or &", name, v)
		}
	}
	if !capTime.MatchString(a.Sent) {
		t.Errorf("%s: sent %q is not CAP's time (a numeric offset, UTC as -00:00, no Z)", a.Identifier, a.Sent)
	}
	oneOf(t, a.Identifier, "status", a.Status, statuses)
	oneOf(t, a.Identifier, "msgType", a.MsgType, msgTypes)
	oneOf(t, a.Identifier, "scope", a.Scope, scopes)
	if a.References != "" {
		for _, ref := range strings.Split(a.References, " ") {
			parts := strings.Split(ref, ",")
			if len(parts) != 3 || parts[0] == "" || parts[1] == "" || !capTime.MatchString(parts[2]) {
				t.Errorf("%s: reference %q is not sender,identifier,sent", a.Identifier, ref)
			}
		}
	}
	if (a.MsgType == "Update" || a.MsgType == "Cancel") && a.References == "" {
		t.Errorf("%s: an %s with no references", a.Identifier, a.MsgType)
	}
	for _, in := range a.Info {
		if len(in.Category) == 0 || in.Event == "" || in.Urgency == "" || in.Severity == "" || in.Certainty == "" {
			t.Errorf("%s: info %q lacks a required element: %+v", a.Identifier, in.Language, in)
		}
		for _, c := range in.Category {
			oneOf(t, a.Identifier, "category", c, categories)
		}
		oneOf(t, a.Identifier, "urgency", in.Urgency, urgencies)
		oneOf(t, a.Identifier, "severity", in.Severity, severities)
		oneOf(t, a.Identifier, "certainty", in.Certainty, certainties)
		if !strings.HasPrefix(in.Web, "http://") && !strings.HasPrefix(in.Web, "https://") {
			t.Errorf("%s: web %q is not an absolute URI", a.Identifier, in.Web)
		}
	}
	return a
}

func oneOf(t *testing.T, id, name, v string, allowed []string) {
	t.Helper()
	if !slices.Contains(allowed, v) {
		t.Errorf("%s: %s %q is not one of %v", id, name, v, allowed)
	}
}

// checkOrder fails when the children of alert or of an info are out of
// the schema's order.
func checkOrder(t *testing.T, doc []byte, alert, info []string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var path []string
	last := map[int]int{}
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		switch e := tok.(type) {
		case xml.StartElement:
			var order []string
			switch {
			case len(path) == 1:
				order = alert
			case len(path) == 2 && path[1] == "info":
				order = info
			}
			if order != nil {
				at := slices.Index(order, e.Name.Local)
				if at < 0 || at < last[len(path)] {
					t.Errorf("<%s> in <%s> is unknown or out of order", e.Name.Local, path[len(path)-1])
				}
				last[len(path)] = at
			}
			path = append(path, e.Name.Local)
		case xml.EndElement:
			delete(last, len(path))
			path = path[:len(path)-1]
		}
	}
}
