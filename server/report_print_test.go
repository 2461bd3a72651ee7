package server

import (
	"context"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/examples"
	"github.com/crierhq/crier/notifiers"
	"github.com/crierhq/crier/runbooks"
)

// The major-incident example drilled as `crier drill` drills it by
// default, every message approved and every task done after five
// minutes, prints from the report page on A4 in a handful of pages
// (before the summary and the folding it was 56), with no header, no
// navigation and no downloads on paper; the chart and its key on one
// page at most, at a sensible size.
func TestThePrintedReportFitsInAHandfulOfPages(t *testing.T) {
	exe := chromium(t)
	source, err := os.ReadFile("../examples/major-incident-community-reassurance.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Parse("major-incident-community-reassurance.yaml", source)
	if err != nil {
		t.Fatal(err)
	}
	horizon, err := engine.DrillHorizon(rb)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	e, id, err := engine.Drill(ctx, engine.DrillOptions{Source: source, SourceName: "major-incident-community-reassurance.yaml",
		Start: start, Instant: true, Horizon: horizon, ApproveAfter: 5 * time.Minute, AckAfter: 5 * time.Minute,
		Params:    map[string]string{"incident_location": "Victoria Square", "incident_summary": "A vehicle struck pedestrians."},
		Dispatch:  notifiers.DispatchOptions{Default: &notifiers.Route{Notifier: &notifiers.Outbox{Dir: t.TempDir(), Now: time.Now}}},
		Directory: examplesDirectory(t), DirectoryName: examples.DirectoryFile, ListFiles: examples.FS})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Engine: e, Users: people, Now: func() time.Time { return start }}))
	defer srv.Close()

	tab := launch(t, ctx, exe, 1280, 900)
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tab, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Authorization": "Bearer " + token("Val")}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/api/v1/activations/"+id+"/report?format=html"),
		chromedp.WaitVisible(chromedp.CSS(".report-summary"))); err != nil {
		t.Fatal(err)
	}
	cssPage := true
	pdf, err := chromedp.Call(tab, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: &cssPage})
	if err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("CRIER_REPORT_PDF"); out != "" { // to look at it
		_ = os.WriteFile(out, pdf.Data, 0o644)
	}
	pages := len(regexp.MustCompile(`/Type\s*/Page\b`).FindAll(pdf.Data, -1))
	if pages == 0 || pages > 6 {
		t.Errorf("the printed report is %d A4 pages, want 1 to 6", pages)
	}
	if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('header, nav, .downloads, .report-summary h2')].filter(e => getComputedStyle(e).display != 'none').map(e => e.textContent)`))
	if err != nil || len(shown) != 1 || shown[0] != "Summary" {
		t.Errorf("printed, the page shows %q of the header, navigation, downloads and the summary's heading (%v)", shown, err)
	}

	// On paper the chart and its key fit within one A4 page's text (186 by
	// 271mm, 703 by 1024 CSS pixels), and its labels are near the text's
	// size (a line of about 10pt type), not scaled up to the page's width.
	if _, err := chromedp.Call(tab, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 703, Height: 1024, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}
	size, err := chromedp.Run(tab, chromedp.Evaluate[[]float64](`[document.querySelector('.report-chart').getBoundingClientRect().height,
		document.querySelector('.report-chart').getBoundingClientRect().width, document.querySelector('.tc-label').getBoundingClientRect().height]`))
	if err != nil || len(size) != 3 || size[0] > 1024 || size[1] > 703 || size[2] > 16 {
		t.Errorf("printed, the chart and its key are %v CSS pixels high and wide and a label is %v high (%v), want them within 1024 by 703 and a label's line at most 16 (type of about 10pt)",
			size[:min(2, len(size))], size[min(2, len(size)):], err)
	}
}
