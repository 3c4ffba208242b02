package tensor

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinTime is how long a worker keeps polling for the next loop after finishing
// one, and how long For's caller polls for helpers' last chunks, before they
// block. Decoding one token runs a few hundred short loops back to back, each
// a few tens of microseconds: waking a parked goroutine costs about as much
// (futex wake-up, scheduler hand-off, more under a hypervisor), so without
// polling a helper joins each loop late and the caller sleeps at its end. The
// bound keeps an idle pool from holding the CPUs for longer than that.
const spinTime = 50 * time.Microsecond

// Pool runs parallel loops on a fixed set of worker goroutines. The zero Pool and
// a nil *Pool are valid and run every loop serially on the caller's goroutine.
// A Pool is safe for concurrent use; loops may nest (a loop body may call For),
// because the calling goroutine always works on its own loop too.
type Pool struct {
	workers int
	spin    time.Duration // polling time: spinTime, or 0 in tests
	jobs    chan *job
	closed  atomic.Bool
	once    sync.Once

	// posted is the loop For started last; polling workers join it without
	// a channel hand-off. spinning counts the workers polling it.
	posted   atomic.Pointer[job]
	spinning atomic.Int32

	// scratch recycles packing buffers of the matrix products, so that kernels
	// running on a Pool do not allocate in the steady state.
	scratch sync.Pool
}

// NewPool starts a pool of workers goroutines (workers <= 0 means
// runtime.GOMAXPROCS(0)). The caller counts as one of them, so workers-1
// goroutines are started. Call Close to stop them.
func NewPool(workers int) *Pool { return newPool(workers, spinTime) }

// newPool is NewPool with the polling time as a parameter (tests turn it off).
func newPool(workers int, spin time.Duration) *Pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &Pool{workers: workers, spin: spin}
	if workers > 1 {
		p.jobs = make(chan *job, workers)
		for range workers - 1 {
			go p.work()
		}
	}
	return p
}

// Workers returns how many goroutines share a loop (at least 1).
func (p *Pool) Workers() int {
	if p == nil || p.workers < 1 || p.closed.Load() {
		return 1
	}
	return p.workers
}

// Close stops the workers. Loops started afterwards run serially. Close must not
// run concurrently with For.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.closed.Store(true)
		if p.jobs != nil {
			close(p.jobs)
		}
	})
}

// work is a worker's life: poll for a posted loop for a while after each one,
// and block on the channel when none comes.
func (p *Pool) work() {
	for {
		if j := p.poll(); j != nil {
			j.run()
			continue
		}
		j, ok := <-p.jobs
		if !ok {
			return
		}
		j.run()
	}
}

// poll waits up to spinTime for a posted loop with chunks left to claim.
func (p *Pool) poll() *job {
	p.spinning.Add(1)
	defer p.spinning.Add(-1)
	start := time.Now()
	for i := 1; ; i++ {
		if j := p.posted.Load(); j != nil && j.open() {
			return j
		}
		if i%64 == 0 {
			if p.closed.Load() || time.Since(start) > p.spin {
				return nil
			}
			// Let other goroutines of this P run: polling must not starve them.
			runtime.Gosched()
		}
	}
}

// For splits [0, n) into contiguous chunks of at least grain indices (grain < 1
// means 1), calls fn on each chunk, possibly in parallel, and returns when all
// calls have returned. A panic in fn is re-raised on the caller's goroutine.
func (p *Pool) For(n, grain int, fn func(start, end int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	w := p.Workers()
	if w == 1 || n <= grain {
		fn(0, n)
		return
	}
	chunks := min((n+grain-1)/grain, 16*w)
	j := &job{fn: fn, n: n, chunk: max(grain, (n+chunks-1)/chunks)}
	j.chunks = (n + j.chunk - 1) / j.chunk
	j.regions = min(w, j.chunks, maxRegions)
	for r := range j.regions {
		j.region[r].next.Store(int64(r * j.chunks / j.regions))
		j.region[r].end = int64((r + 1) * j.chunks / j.regions)
	}
	prev := p.posted.Swap(j) // a nested loop hides its parent until it ends
	// Polling workers find the loop by themselves; wake parked ones, at most
	// one helper per chunk beyond the caller's. If the queue is full the others
	// are busy and the caller simply does more of the work.
	for range min(w-1, j.chunks-1) - int(p.spinning.Load()) {
		select {
		case p.jobs <- j:
		default:
		}
	}
	j.run()
	j.wait(p.spin)
	p.posted.CompareAndSwap(j, prev)
	if v := j.panicked.Load(); v != nil {
		panic(fmt.Sprintf("tensor.Pool.For: worker panicked: %v", *v))
	}
}

// maxRegions bounds the regions a loop's chunks are divided into.
const maxRegions = 8

// job is one For call. Its chunks are divided into one contiguous region per
// worker (up to maxRegions); each participant works through its own region
// first, in order, then claims what is left of the others'. Sequential chunks
// keep each worker's memory accesses one long stream (the matrix-vector
// kernels prefetch across chunk boundaries), and claims mostly touch the
// participant's own counter. A helper that arrives after all chunks are
// claimed returns at once, and the caller never waits for a helper that has
// not started: only for chunks in progress. Each participant reports the
// chunks it ran once, when it finds none left.
type job struct {
	fn               func(start, end int)
	n, chunk, chunks int
	regions          int
	region           [maxRegions]region
	joined           atomic.Int32 // participants so far: the next one's first region
	done             atomic.Int64 // chunks finished
	// waiting is set by the caller before it blocks on wg (Add(1) first); the
	// participant that finishes the last chunk then calls wg.Done.
	waiting  atomic.Bool
	wg       sync.WaitGroup
	panicked atomic.Pointer[any]
}

// region is a range of a job's chunks, claimed in order: [next, end).
type region struct {
	next atomic.Int64
	end  int64
	_    [48]byte // one cache line per region: claims in different regions do not contend
}

// open reports whether j has chunks nobody has claimed yet.
func (j *job) open() bool {
	for r := range j.regions {
		if j.region[r].next.Load() < j.region[r].end {
			return true
		}
	}
	return false
}

func (j *job) run() {
	first := int(j.joined.Add(1) - 1)
	ran := 0
	for i := range j.regions {
		r := &j.region[(first+i)%j.regions]
		for {
			c := int(r.next.Add(1) - 1)
			if int64(c) >= r.end {
				break
			}
			start := c * j.chunk
			j.runChunk(start, min(start+j.chunk, j.n))
			ran++
		}
	}
	if ran > 0 && j.done.Add(int64(ran)) == int64(j.chunks) && j.waiting.Load() {
		j.wg.Done()
	}
}

// wait returns when every chunk has finished: it polls for a while (the
// others' last chunks usually end within microseconds of the caller's), then
// blocks.
func (j *job) wait(spin time.Duration) {
	all := int64(j.chunks)
	if j.done.Load() == all {
		return
	}
	start := time.Now()
	for i := 1; j.done.Load() < all; i++ {
		if i%64 == 0 && time.Since(start) > spin {
			// The order matters: whoever finishes the last chunk after the
			// check below sees waiting set (see job.run).
			j.wg.Add(1)
			j.waiting.Store(true)
			if j.done.Load() < all {
				j.wg.Wait()
			}
			return
		}
	}
}

// runChunk runs fn on one chunk, keeping the first panic for the caller.
func (j *job) runChunk(start, end int) {
	defer func() {
		if r := recover(); r != nil {
			// The copy escapes to the heap, so it is made only here: with
			// &r itself every call allocated r (about 2,700 allocations
			// per token of a Qwen2.5-0.5B-shaped decode).
			v := r
			j.panicked.CompareAndSwap(nil, &v)
		}
	}()
	j.fn(start, end)
}
