package server

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// In a real browser, on a phone: a planner opens the directory, puts the
// police's Chen Li on the duty comms officer's cover from the rota's own
// form, and the page shows Chen on duty, with the cover said so; the
// page passes the same audit as the others.
func TestDirectoryCoverInTheBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	f.withDirectory(northbridge)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tab := launch(t, ctx, exe, 390, 844)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(f.http.URL+"/login"),
		chromedp.SendKeys(css("#token"), token("Priya")),
		chromedp.Submit(css("#token")),
		chromedp.WaitVisible(css("#runbooks")),
		chromedp.Click(css(`nav a[href="/ui/directory"]`)),
		chromedp.WaitVisible(css("#rota-duty-comms .on-duty")))
	if err != nil {
		t.Fatal(err)
	}
	if who, _ := chromedp.Run(tab, chromedp.Text(css("#rota-duty-comms .on-duty strong"))); who != "Bryn Evans" {
		t.Errorf("on duty before the cover: %q", who)
	}
	auditPage(t, tab, "the directory")
	err = chromedp.Do(tab,
		chromedp.Click(css("#rota-duty-comms summary")),
		chromedp.SetValue(css("#person-duty-comms"), "chen"),
		chromedp.SetValue(css("#from-duty-comms"), "2026-11-22T08:00"),
		chromedp.SetValue(css("#until-duty-comms"), "2026-11-23T12:00"),
		chromedp.Click(css("#rota-duty-comms button[type=submit]")),
		chromedp.WaitVisible(css("p.done")))
	if err != nil {
		t.Fatal(err)
	}
	if who, _ := chromedp.Run(tab, chromedp.Text(css("#rota-duty-comms .on-duty strong"))); who != "Chen Li" {
		t.Errorf("on duty after the cover: %q", who)
	}
	if cover, _ := chromedp.Run(tab, chromedp.Text(css("#rota-duty-comms .cover"))); cover != "Cover: Chen Li is covering, from Sun 22 Nov 08:00 until Mon 23 Nov 12:00, in place of the rota's turn." {
		t.Errorf("the cover: %q", cover)
	}
	auditPage(t, tab, "the directory after the cover")
}
