package pdf

import (
	"strconv"
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// Page geometry in millimetres, on US Letter, the paper Canadian offices print on.
const (
	marginX      = 18.0
	marginTop    = 15.0
	marginBottom = 20.0 // room for the footer
	labelWidth   = 62.0 // the label column of a row
	padding      = 1.6  // above and below the text of a row
	boxSize      = 3.8  // a confirmation box
	indent       = boxSize + 2.5
	family       = "go" // the Go fonts, embedded: BSD licence, accents and « » ’ included
)

// Text colours.
var (
	black = [3]int{0, 0, 0}
	muted = [3]int{80, 80, 80}
	red   = [3]int{175, 60, 67}
)

// sheet draws the form on fpdf pages, keeping blocks whole across page breaks.
type sheet struct {
	p     *fpdf.Fpdf
	width float64 // between the margins
	limit float64 // the lowest y a line may end at
	pages int     // the page count printed in footers; 0 until known
}

func newSheet() *sheet {
	p := fpdf.New("P", "mm", "Letter", "")
	p.AddUTF8FontFromBytes(family, "", goregular.TTF)
	p.AddUTF8FontFromBytes(family, "B", gobold.TTF)
	p.AddUTF8FontFromBytes(family, "I", goitalic.TTF)
	p.SetMargins(marginX, marginTop, marginX)
	p.SetAutoPageBreak(false, marginBottom) // sheet breaks pages itself, between blocks
	p.SetCellMargin(0)
	w, h := p.GetPageSize()
	return &sheet{p: p, width: w - 2*marginX, limit: h - marginBottom}
}

// para is text wrapped to a column in one font.
type para struct {
	style string
	size  float64 // points
	color [3]int
	lines []string
}

// lineHeight is the leading of a font size in points, in millimetres.
func lineHeight(size float64) float64 { return size * 0.3528 * 1.25 }

func (t para) height() float64 { return float64(len(t.lines)) * lineHeight(t.size) }

// wrap lays text out in a column of the given width; words longer than the
// column are cut, so that nothing runs past the margin.
func (s *sheet) wrap(style string, size float64, color [3]int, text string, width float64) para {
	t := para{style: style, size: size, color: color}
	if text == "" {
		return t
	}
	s.p.SetFont(family, style, size)
	t.lines = s.p.SplitText(text, width)
	return t
}

// draw writes t with its top left corner at x, y.
func (s *sheet) draw(t para, x, y float64) {
	s.p.SetFont(family, t.style, t.size)
	s.p.SetTextColor(t.color[0], t.color[1], t.color[2])
	lh := lineHeight(t.size)
	for i, line := range t.lines {
		s.p.SetXY(x, y+float64(i)*lh)
		s.p.CellFormat(0, lh, line, "", 0, "L", false, 0, "")
	}
}

// flow writes t at x from the current position, line by line, breaking pages
// as needed: free text may be longer than a page.
func (s *sheet) flow(t para, x float64) {
	lh := lineHeight(t.size)
	for _, line := range t.lines {
		s.ensure(lh)
		y := s.p.GetY()
		s.draw(para{style: t.style, size: t.size, color: t.color, lines: []string{line}}, x, y)
		s.p.SetY(y + lh)
	}
}

// ensure starts a new page unless a block of height h fits on this one.
func (s *sheet) ensure(h float64) {
	if s.p.GetY()+h > s.limit {
		s.p.AddPage()
	}
}

// rule draws a horizontal line across the page at y.
func (s *sheet) rule(y float64, grey int, width float64) {
	s.p.SetDrawColor(grey, grey, grey)
	s.p.SetLineWidth(width)
	s.p.Line(marginX, y, marginX+s.width, y)
}

// section starts part n of the form with its title in both languages.
func (s *sheet) section(n int, l label) {
	t := s.wrap("B", 11, black, strconv.Itoa(n)+". "+l.en+" / "+l.fr, s.width-4)
	h := t.height() + 2*padding
	s.ensure(h + 25) // keep a title with what follows it
	s.p.SetY(s.p.GetY() + 3)
	y := s.p.GetY()
	s.p.SetFillColor(232, 232, 232)
	s.p.Rect(marginX, y, s.width, h, "F")
	s.draw(t, marginX+2, y+padding)
	s.p.SetY(y + h + 1)
}

// note writes a statement, English then French, across the page.
func (s *sheet) note(l label, style string, color [3]int) {
	en := s.wrap(style, 9.5, color, l.en, s.width)
	fr := s.wrap(style, 9.5, color, l.fr, s.width)
	s.ensure(en.height() + fr.height() + padding)
	y := s.p.GetY() + padding
	s.draw(en, marginX, y)
	s.draw(fr, marginX, y+en.height())
	s.p.SetY(y + en.height() + fr.height())
}

// row writes a label (English over French) with its value beside it.
func (s *sheet) row(l label, value string) {
	en := s.wrap("B", 9, black, l.en, labelWidth-3)
	fr := s.wrap("", 8.5, muted, l.fr, labelWidth-3)
	v := s.wrap("", 10, black, clean(value, false), s.width-labelWidth)
	h := max(en.height()+fr.height(), v.height(), 7.5) + 2*padding
	s.ensure(h)
	y := s.p.GetY()
	s.draw(en, marginX, y+padding)
	s.draw(fr, marginX, y+padding+en.height())
	s.draw(v, marginX+labelWidth, y+padding)
	s.rule(y+h, 190, 0.2)
	s.p.SetY(y + h)
}

// choice writes a box, ticked when checked, and its text, English over French.
func (s *sheet) choice(checked bool, l label) {
	w := s.width - indent
	en := s.wrap("", 9.5, black, l.en, w)
	fr := s.wrap("I", 9, muted, l.fr, w)
	s.ensure(en.height() + fr.height() + 2*padding)
	y := s.p.GetY() + padding
	s.box(marginX, y+0.3, checked)
	s.draw(en, marginX+indent, y)
	s.draw(fr, marginX+indent, y+en.height())
	s.p.SetY(y + en.height() + fr.height() + padding)
}

// box draws a confirmation box with an X in it when checked. Lines, not a
// glyph: the fonts have no check mark.
func (s *sheet) box(x, y float64, checked bool) {
	s.p.SetDrawColor(0, 0, 0)
	s.p.SetLineWidth(0.3)
	s.p.Rect(x, y, boxSize, boxSize, "D")
	if checked {
		s.p.SetLineWidth(0.5)
		s.p.Line(x+0.7, y+0.7, x+boxSize-0.7, y+boxSize-0.7)
		s.p.Line(x+0.7, y+boxSize-0.7, x+boxSize-0.7, y+0.7)
	}
}

// freeText writes a user's multi-line text indented under a choice.
func (s *sheet) freeText(text string) {
	t := s.wrap("", 10, black, clean(text, true), s.width-indent-4)
	if len(t.lines) == 0 {
		return
	}
	s.flow(t, marginX+indent+2)
	s.p.SetY(s.p.GetY() + padding)
}

// signatureLine draws a line to write on, labelled below in both languages.
func (s *sheet) signatureLine(l label) {
	t := s.wrap("", 8.5, muted, l.en+" / "+l.fr, s.width)
	s.ensure(12 + t.height())
	y := s.p.GetY() + 11
	s.rule(y, 0, 0.3)
	s.draw(t, marginX, y+0.8)
	s.p.SetY(y + 0.8 + t.height())
}

// clean makes user text printable: valid UTF-8 without control, format or
// private-use characters (no font draws them), nothing beyond the Basic
// Multilingual Plane (fpdf's font encoding stops there), one line unless
// multiline, and at most one blank line in a row.
func clean(s string, multiline bool) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\r\n", "\n"), "\uFFFD")
	var b strings.Builder
	newlines := 0
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029':
			if !multiline {
				r = ' '
				break
			}
			if r, newlines = '\n', newlines+1; newlines > 2 {
				continue
			}
		case r == '\t':
			r = ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r):
			continue
		case r > 0xFFFF:
			r = '\uFFFD'
		}
		if r != '\n' {
			newlines = 0
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}
