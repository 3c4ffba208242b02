package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"hfserve/internal/hub"
)

// Redraw and report intervals of the pull progress display.
const (
	ttyRedrawEvery   = 100 * time.Millisecond
	plainReportEvery = 5 * time.Second
	maxLiveFiles     = 8 // files shown at once on a terminal
)

// progressView draws a pull's events: on a terminal, a live block of one
// line per file being downloaded plus a total line, redrawn in place, with
// a permanent line per finished file above it; elsewhere (a pipe, a log)
// plain lines: one per finished file and a total every few seconds. Its
// handle method is a hub.PullOptions.Progress; the hub calls it one event
// at a time.
type progressView struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	live  map[string]hub.FileProgress
	order []string // live files, in start order
	last  hub.PullEvent
	drawn int // lines of the live block on screen
	// lastDraw is the last redraw (terminal) or total line (plain).
	lastDraw time.Time
	finished []string // lines to print above the live block
}

func newProgressView(w io.Writer, tty bool) *progressView {
	return &progressView{w: w, tty: tty, now: time.Now, live: map[string]hub.FileProgress{}}
}

// isTerminal reports whether the command's stdout is a terminal that
// understands cursor movement.
func isTerminal(e *env) bool {
	f, ok := e.stdout.(*os.File)
	termName, _ := e.lookupEnv("TERM")
	return ok && term.IsTerminal(int(f.Fd())) && termName != "dumb"
}

func (v *progressView) handle(ev hub.PullEvent) {
	v.last = ev
	switch ev.Kind {
	case hub.EventResolved:
		rev := ev.Repo
		if ev.Revision != hub.DefaultRevision {
			rev += "@" + ev.Revision
		}
		v.finished = append(v.finished, fmt.Sprintf("pulling %s: commit %s, %d files, %s", rev, short(ev.Commit), ev.Files, sizeText(ev.Total)))
	case hub.EventFileStart:
		if ev.File.Note != "" {
			v.finished = append(v.finished, "  note: "+ev.File.Name+": "+ev.File.Note)
		}
		v.live[ev.File.Name] = ev.File
		v.order = append(v.order, ev.File.Name)
	case hub.EventProgress:
		v.live[ev.File.Name] = ev.File
	case hub.EventFileDone:
		delete(v.live, ev.File.Name)
		v.order = slices.DeleteFunc(v.order, func(n string) bool { return n == ev.File.Name })
		v.finished = append(v.finished, "  "+doneLine(ev.File))
	}
	urgent := ev.Kind != hub.EventProgress
	if v.tty {
		if urgent || v.now().Sub(v.lastDraw) >= ttyRedrawEvery {
			v.redraw()
		}
		return
	}
	v.flushFinished()
	if ev.Kind == hub.EventProgress && v.now().Sub(v.lastDraw) >= plainReportEvery {
		v.lastDraw = v.now()
		fmt.Fprintln(v.w, "  "+totalLine(ev))
	}
}

// finish leaves the display in a clean state: the live block erased.
func (v *progressView) finish() {
	if v.tty {
		v.clearLive()
	}
	v.flushFinished()
}

func (v *progressView) flushFinished() {
	for _, l := range v.finished {
		fmt.Fprintln(v.w, l)
	}
	v.finished = v.finished[:0]
}

// clearLive moves the cursor back over the live block and erases it.
func (v *progressView) clearLive() {
	if v.drawn > 0 {
		fmt.Fprintf(v.w, "\x1b[%dA", v.drawn)
	}
	for range v.drawn {
		fmt.Fprint(v.w, "\r\x1b[2K\n")
	}
	if v.drawn > 0 {
		fmt.Fprintf(v.w, "\x1b[%dA", v.drawn)
	}
	v.drawn = 0
}

func (v *progressView) redraw() {
	v.lastDraw = v.now()
	var b strings.Builder
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.drawn)
	}
	for _, l := range v.finished {
		b.WriteString("\r\x1b[2K" + l + "\n")
	}
	v.finished = v.finished[:0]
	lines := 0
	for i, name := range v.order {
		if i == maxLiveFiles {
			fmt.Fprintf(&b, "\r\x1b[2K  ... and %d more files\n", len(v.order)-i)
			lines++
			break
		}
		b.WriteString("\r\x1b[2K  " + fileLine(v.live[name]) + "\n")
		lines++
	}
	if v.last.Kind != hub.EventDone {
		b.WriteString("\r\x1b[2K  " + totalLine(v.last) + "\n")
		lines++
	}
	// Lines left over from a taller block are erased.
	for i := lines; i < v.drawn; i++ {
		b.WriteString("\r\x1b[2K\n")
	}
	if extra := v.drawn - lines; extra > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", extra)
	}
	v.drawn = lines
	io.WriteString(v.w, b.String())
}

func fileLine(f hub.FileProgress) string {
	s := fmt.Sprintf("%-40s %s", f.Name, amountText(f.Done, f.Size))
	if f.Rate > 0 {
		s += "  " + sizeText(int64(f.Rate)) + "/s"
	}
	if eta := f.ETA(); eta > 0 {
		s += "  ETA " + eta.Round(time.Second).String()
	}
	return s
}

func totalLine(ev hub.PullEvent) string {
	s := fmt.Sprintf("total: %d/%d files, %s", ev.FilesDone, ev.Files, amountText(ev.Done, ev.Total))
	if ev.Rate > 0 {
		s += ", " + sizeText(int64(ev.Rate)) + "/s"
	}
	if eta := ev.ETA(); eta > 0 {
		s += ", ETA " + eta.Round(time.Second).String()
	}
	return s
}

func doneLine(f hub.FileProgress) string {
	how := "downloaded"
	switch {
	case f.Cached:
		how = "already cached"
	case f.Resumed > 0:
		how = fmt.Sprintf("resumed from %s", sizeText(f.Resumed))
	}
	return fmt.Sprintf("%s %s (%s)", f.Name, sizeText(max(f.Size, f.Done)), how)
}

// amountText is "done / total (pct%)", or just done when the total is
// unknown.
func amountText(done, total int64) string {
	if total <= 0 {
		return sizeText(done)
	}
	return fmt.Sprintf("%s / %s (%d%%)", sizeText(done), sizeText(total), done*100/total)
}

func sizeText(n int64) string {
	if n < 0 {
		return "?"
	}
	return humanBytes(n)
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
