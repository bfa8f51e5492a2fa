package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

// progress shows how far a run is: a bar on a terminal, plain lines otherwise.
type progress interface {
	step(errors int)
	finish(errors int)
}

// lineProgress prints a line every so many rows or seconds, for logs and pipes.
type lineProgress struct {
	w         io.Writer
	lang      i18n.Lang
	total     int
	done      int
	start     time.Time
	lastPrint time.Time
	every     int
}

func newLineProgress(w io.Writer, lang i18n.Lang, total int) *lineProgress {
	now := time.Now()
	return &lineProgress{w: w, lang: lang, total: total, start: now, lastPrint: now, every: max(10, total/20)}
}

func (p *lineProgress) step(errors int) {
	p.done++
	if p.done == p.total || (p.done%p.every != 0 && time.Since(p.lastPrint) < 5*time.Second) {
		return // the last row is reported by finish
	}
	p.lastPrint = time.Now()
	elapsed := time.Since(p.start)
	rate := float64(p.done) / max(elapsed.Seconds(), 1e-3)
	left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second)).Round(time.Second)
	fmt.Fprintln(p.w, say(p.lang, "progress", p.done, p.total, errors, rate, left))
}

func (p *lineProgress) finish(errors int) {
	fmt.Fprintln(p.w, say(p.lang, "progress.done", p.done, p.total, errors, time.Since(p.start).Round(time.Millisecond)))
}

// newProgress draws a bar when w is a terminal, and prints plain lines otherwise.
func newProgress(w io.Writer, lang i18n.Lang, total int) progress {
	if f, ok := w.(*os.File); ok && total > 0 && term.IsTerminal(int(f.Fd())) {
		return newBarProgress(f, lang, total)
	}
	return newLineProgress(w, lang, total)
}

// barProgress is a bar with the rows done, the rate, the errors and the time left.
type barProgress struct {
	bar    *progressbar.ProgressBar
	lang   i18n.Lang
	errors int
}

func newBarProgress(w io.Writer, lang i18n.Lang, total int) *barProgress {
	rows := "rows"
	if lang == i18n.FR {
		rows = "lignes"
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(say(lang, "bar.errors", 0)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(rows),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return &barProgress{bar: bar, lang: lang}
}

func (p *barProgress) step(errors int) {
	if errors != p.errors {
		p.errors = errors
		p.bar.Describe(say(p.lang, "bar.errors", errors))
	}
	p.bar.Add(1)
}

// finish ends an interrupted bar where it stopped; a full one has ended its line itself.
func (p *barProgress) finish(errors int) {
	if !p.bar.IsFinished() {
		p.bar.Describe(say(p.lang, "bar.errors", errors))
		p.bar.Exit()
	}
}
