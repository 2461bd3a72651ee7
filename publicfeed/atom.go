package publicfeed

import (
	"encoding/xml"
	"time"
)

// AtomNamespace is the Atom syndication format's XML namespace.
const AtomNamespace = "http://www.w3.org/2005/Atom"

// CAPType is the media type of a CAP document.
const CAPType = "application/cap+xml"

// Feed is an Atom feed of alerts, newest first.
type Feed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  Person   `xml:"author"`
	Links   []Link   `xml:"link"`
	Entries []Entry  `xml:"entry"`
}

// Person is an Atom author.
type Person struct {
	Name string `xml:"name"`
}

// Link is an Atom link.
type Link struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

// Text is an Atom text construct, plain text.
type Text struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

// Entry is one alert in a feed.
type Entry struct {
	ID        string `xml:"id"`
	Title     string `xml:"title"`
	Updated   string `xml:"updated"`
	Published string `xml:"published,omitempty"`
	Links     []Link `xml:"link"`
	Summary   Text   `xml:"summary"`
}

// FeedOf is the Atom feed of alerts (newest first, as Alerts gives them):
// self is the feed's own absolute URL, and alertURL the absolute URL of
// an alert's CAP document. A feed with no alerts is updated as of since.
func FeedOf(title, self string, alerts []*Alert, alertURL func(*Alert) string, since time.Time) *Feed {
	f := &Feed{ID: self, Title: title, Author: Person{Name: "crier"}, Links: []Link{{Rel: "self", Type: "application/atom+xml", Href: self}}}
	updated := since
	for _, a := range alerts {
		if a.at.After(updated) || updated.IsZero() {
			updated = a.at
		}
		at := a.at.Format(time.RFC3339)
		title, summary := a.Identifier, ""
		if len(a.Info) > 0 {
			title, summary = a.Info[0].Headline, a.Info[0].Description
		}
		href := alertURL(a)
		f.Entries = append(f.Entries, Entry{ID: href, Title: a.MsgType + ": " + title, Updated: at, Published: at,
			Links:   []Link{{Rel: "alternate", Type: CAPType, Href: href}},
			Summary: Text{Type: "text", Body: summary}})
	}
	f.Updated = updated.Format(time.RFC3339)
	return f
}

// Marshal is the feed as an XML document.
func (f *Feed) Marshal() ([]byte, error) {
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
