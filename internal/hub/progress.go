package hub

import (
	"sync"
	"time"
)

// EventKind says what a PullEvent reports.
type EventKind string

// The events of a pull, in the order they come: one EventResolved, then per
// file EventFileStart, EventProgress (at most every ProgressInterval) and
// EventFileDone, and one EventDone when everything is in place.
const (
	EventResolved  EventKind = "resolved"
	EventFileStart EventKind = "file_start"
	EventProgress  EventKind = "progress"
	EventFileDone  EventKind = "file_done"
	EventDone      EventKind = "done"
)

// PullEvent is one step of a pull. Every event carries the overall totals,
// so a display can draw itself from the latest event alone.
type PullEvent struct {
	Kind     EventKind
	Repo     string
	Revision string
	Commit   string
	// File is the file the event is about (file events only).
	File FileProgress
	// Files and FilesDone count the selected files.
	Files, FilesDone int
	// Done and Total are bytes over all selected files; files already in
	// the cache count as done. Total is 0 when the Hub gave no sizes.
	Done, Total int64
	// Rate is the bytes per second received by this pull so far.
	Rate float64
	// Elapsed is the time since the pull started.
	Elapsed time.Duration
	// Dir is the snapshot folder (EventDone only).
	Dir string
}

// ETA estimates the time left at the current rate; 0 when unknown.
func (e PullEvent) ETA() time.Duration {
	if e.Rate <= 0 || e.Total <= e.Done {
		return 0
	}
	return time.Duration(float64(e.Total-e.Done) / e.Rate * float64(time.Second))
}

// FileProgress is one file's state.
type FileProgress struct {
	Name string
	// Done and Size are bytes; Size is -1 when unknown.
	Done, Size int64
	// Rate is the bytes per second received for this file.
	Rate float64
	// Cached says the file was already in the cache: nothing was
	// downloaded.
	Cached bool
	// Resumed counts the bytes kept from an earlier, interrupted
	// download.
	Resumed int64
	// Note explains something unusual, e.g. a corrupt blob found and
	// downloaded again.
	Note string
}

// ETA estimates the time left for the file; 0 when unknown.
func (f FileProgress) ETA() time.Duration {
	if f.Rate <= 0 || f.Size <= f.Done {
		return 0
	}
	return time.Duration(float64(f.Size-f.Done) / f.Rate * float64(time.Second))
}

// tracker turns a pull's byte counts into events. Its methods are safe
// for concurrent use, and it calls emit under its lock, so a consumer sees
// one event at a time, in order.
type tracker struct {
	mu       sync.Mutex
	emit     func(PullEvent)
	interval time.Duration
	now      func() time.Time
	start    time.Time
	base     PullEvent
	files    map[string]*fileTrack
	received int64 // bytes received over the network by this pull
}

type fileTrack struct {
	prog     FileProgress
	start    time.Time
	lastEmit time.Time
	received int64
}

func newTracker(emit func(PullEvent), interval time.Duration, base PullEvent) *tracker {
	if emit == nil {
		emit = func(PullEvent) {}
	}
	t := &tracker{emit: emit, interval: interval, now: time.Now, base: base, files: map[string]*fileTrack{}}
	t.start = t.now()
	return t
}

// resolved records the selected files and their sizes.
func (t *tracker) resolved(files []RepoFile) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.base.Files = len(files)
	for _, f := range files {
		t.files[f.Path] = &fileTrack{prog: FileProgress{Name: f.Path, Size: f.Size}}
		if f.Size > 0 {
			t.base.Total += f.Size
		}
	}
	t.send(EventResolved, FileProgress{})
}

// fileStart records that name is being fetched: size from the HEAD (it
// corrects the Hub's listing), resumed bytes already on disk.
func (t *tracker) fileStart(name string, size, resumed int64, note string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ft := t.file(name)
	if size >= 0 && size != ft.prog.Size {
		t.base.Total += size - max(ft.prog.Size, 0)
		ft.prog.Size = size
	}
	ft.prog.Done, ft.prog.Resumed, ft.prog.Note = resumed, resumed, note
	ft.start = t.now()
	t.base.Done += resumed
	t.send(EventFileStart, ft.prog)
	ft.lastEmit = ft.start
}

// restart forgets the bytes of name written so far (the server would not
// resume, or a bad partial file was dropped).
func (t *tracker) restart(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ft := t.file(name)
	t.base.Done -= ft.prog.Done
	ft.prog.Done, ft.prog.Resumed = 0, 0
}

// add counts n bytes received for name.
func (t *tracker) add(name string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ft := t.file(name)
	ft.prog.Done += n
	ft.received += n
	t.base.Done += n
	t.received += n
	if now := t.now(); now.Sub(ft.lastEmit) >= t.interval {
		ft.lastEmit = now
		t.send(EventProgress, ft.prog)
	}
}

// fileDone records that name is complete in the cache.
func (t *tracker) fileDone(name string, cached bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ft := t.file(name)
	if cached {
		ft.prog.Cached = true
		if ft.prog.Size > 0 {
			t.base.Done += ft.prog.Size - ft.prog.Done
			ft.prog.Done = ft.prog.Size
		}
	}
	t.base.FilesDone++
	t.send(EventFileDone, ft.prog)
}

// done reports the finished snapshot.
func (t *tracker) done(dir string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.base.Dir = dir
	t.send(EventDone, FileProgress{})
}

func (t *tracker) file(name string) *fileTrack {
	ft, ok := t.files[name]
	if !ok {
		ft = &fileTrack{prog: FileProgress{Name: name, Size: -1}}
		t.files[name] = ft
	}
	return ft
}

// send emits an event built from the current totals; t.mu is held.
func (t *tracker) send(kind EventKind, f FileProgress) {
	now := t.now()
	ev := t.base
	ev.Kind = kind
	ev.Elapsed = now.Sub(t.start)
	if secs := ev.Elapsed.Seconds(); secs > 0 {
		ev.Rate = float64(t.received) / secs
	}
	if f.Name != "" {
		if ft := t.files[f.Name]; ft != nil && ft.received > 0 {
			if secs := now.Sub(ft.start).Seconds(); secs > 0 {
				f.Rate = float64(ft.received) / secs
			}
		}
	}
	ev.File = f
	t.emit(ev)
}
