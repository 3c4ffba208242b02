package breaker

import "time"

// windowBuckets is how finely the rolling window is kept: a call leaves it
// between (n-1)/n and 1 window after it was counted.
const windowBuckets = 10

// window counts outcomes over a rolling period in fixed buckets, so memory
// stays constant however many calls it sees.
type window struct {
	width   time.Duration
	buckets [windowBuckets]bucket
}

// bucket holds the outcomes of one width of time; id numbers it since the
// Unix epoch, so a stale bucket is recognised without a sweep.
type bucket struct {
	id         int64
	ok, failed int
}

func newWindow(d time.Duration) *window {
	return &window{width: max(d/windowBuckets, 1)}
}

// id is the bucket number of t.
func (w *window) id(t time.Time) int64 {
	return t.UnixNano() / int64(w.width)
}

func (w *window) slot(id int64) *bucket {
	i := id % windowBuckets
	if i < 0 {
		i += windowBuckets
	}
	return &w.buckets[i]
}

// add counts one outcome at now.
func (w *window) add(now time.Time, failed bool) {
	id := w.id(now)
	b := w.slot(id)
	if b.id != id {
		*b = bucket{id: id}
	}
	if failed {
		b.failed++
	} else {
		b.ok++
	}
}

// counts sums the buckets still inside the window at now.
func (w *window) counts(now time.Time) (ok, failed int) {
	cur := w.id(now)
	for _, b := range w.buckets {
		if b.id > cur-windowBuckets && b.id <= cur && (b.ok > 0 || b.failed > 0) {
			ok += b.ok
			failed += b.failed
		}
	}
	return ok, failed
}

func (w *window) reset() { w.buckets = [windowBuckets]bucket{} }
