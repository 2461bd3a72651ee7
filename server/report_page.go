package server

import (
	"bytes"
	"html/template"
	"io"

	"github.com/crierhq/crier/engine"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// reportView is what report.html shows: the report's summary and the
// rest of it rendered, the picture of planned against actual between
// them, and the activation's id for the downloads.
type reportView struct {
	page
	ID      string
	Summary template.HTML
	// Chart is the picture of planned against actual, drawn by the
	// server as SVG; empty, the page leaves it out.
	Chart  template.HTML
	Detail template.HTML
}

// reportView renders rep for the page p, which the web app and the API's
// ?format=html both show.
func (s *Server) reportView(p page, rep *engine.Report) (*reportView, error) {
	v := &reportView{page: p, ID: rep.Activation, Chart: s.planVsActual(rep)}
	for _, part := range []struct {
		write func(io.Writer) error
		to    *template.HTML
	}{{rep.MarkdownSummary, &v.Summary}, {rep.MarkdownDetail, &v.Detail}} {
		var md bytes.Buffer
		if err := part.write(&md); err != nil {
			return nil, err
		}
		html, err := reportHTML(md.String())
		if err != nil {
			return nil, err
		}
		*part.to = html
	}
	return v, nil
}

// reportHTML renders a report's Markdown for its page. The page gives the
// title as its own h1, so the report's leading title is left out and any
// other level-1 heading becomes a level-2 one. Raw HTML in the Markdown,
// which is text people typed (messages, reasons, decisions), is shown as
// text, never as markup; each table is wrapped in a box that scrolls
// sideways by itself, named by the heading above it. (The report writes
// its durations for people itself.)
func reportHTML(markdown string) (template.HTML, error) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.Table),
		goldmark.WithParserOptions(parser.WithAutoHeadingID(), parser.WithASTTransformers(util.Prioritized(reportHeadings{}, 100))),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(reportRenderer{}, 100))),
	)
	var out bytes.Buffer
	if err := md.Convert([]byte(markdown), &out); err != nil {
		return "", err
	}
	return template.HTML(out.String()), nil
}

// reportHeadings leaves out the report's leading title and keeps every
// other heading below the page's one h1.
type reportHeadings struct{}

func (reportHeadings) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	if h, ok := doc.FirstChild().(*ast.Heading); ok && h.Level == 1 {
		doc.RemoveChild(doc, h)
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level == 1 {
			h.Level = 2
		}
		return ast.WalkContinue, nil
	})
}

// reportRenderer shows raw HTML, links and images as text and wraps tables
// in a scrolling box. It takes precedence over goldmark's own renderers for
// these nodes. The report escapes what people wrote and writes no link,
// image or HTML itself, so these renderers are a second line: should text
// ever slip through unescaped, the page still makes nothing of it that a
// reader could click or a browser could load or run. (Linkify is left off
// for the same reason: a bare address people typed stays text.)
type reportRenderer struct{}

func (reportRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, rawHTMLAsText)
	reg.Register(ast.KindHTMLBlock, htmlBlockAsText)
	reg.Register(ast.KindLink, linkAsText)
	reg.Register(ast.KindImage, linkAsText)
	reg.Register(ast.KindAutoLink, autoLinkAsText)
	reg.Register(east.KindTable, scrollingTable)
}

// linkAsText writes a link's or an image's words, and no link or image.
func linkAsText(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
	return ast.WalkContinue, nil
}

// autoLinkAsText writes the address of <https://…> as text.
func autoLinkAsText(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.Write(util.EscapeHTML(n.(*ast.AutoLink).Label(source)))
	}
	return ast.WalkSkipChildren, nil
}

// rawHTMLAsText writes inline HTML, such as <script> in a decision, escaped.
func rawHTMLAsText(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segments := n.(*ast.RawHTML).Segments
		for i := range segments.Len() {
			segment := segments.At(i)
			_, _ = w.Write(util.EscapeHTML(segment.Value(source)))
		}
	}
	return ast.WalkSkipChildren, nil
}

// htmlBlockAsText writes a block of HTML, such as a message body that
// starts with a tag, escaped, as a paragraph.
func htmlBlockAsText(w util.BufWriter, source []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	b := n.(*ast.HTMLBlock)
	if entering {
		_, _ = w.WriteString("<p>")
		for i := range b.Lines().Len() {
			line := b.Lines().At(i)
			_, _ = w.Write(util.EscapeHTML(line.Value(source)))
		}
		return ast.WalkContinue, nil
	}
	if b.HasClosure() {
		_, _ = w.Write(util.EscapeHTML(b.ClosureLine.Value(source)))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}

// scrollingTable writes a table inside a box that scrolls sideways, which a
// keyboard can reach and a screen reader names after the nearest heading
// above the table.
func scrollingTable(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</table>\n</div>\n")
		return ast.WalkContinue, nil
	}
	name := ` aria-label="Table"`
	for p := n.PreviousSibling(); p != nil; p = p.PreviousSibling() {
		if h, ok := p.(*ast.Heading); ok {
			if id, ok := h.AttributeString("id"); ok {
				name = ` aria-labelledby="` + string(util.EscapeHTML(id.([]byte))) + `"`
			}
			break
		}
	}
	_, _ = w.WriteString(`<div class="scroll" role="region" tabindex="0"` + name + ">\n<table>\n")
	return ast.WalkContinue, nil
}
