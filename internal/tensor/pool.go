package tensor

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool runs parallel loops on a fixed set of worker goroutines. The zero Pool and
// a nil *Pool are valid and run every loop serially on the caller's goroutine.
// A Pool is safe for concurrent use; loops may nest (a loop body may call For),
// because the calling goroutine always works on its own loop too.
type Pool struct {
	workers int
	jobs    chan *job
	closed  atomic.Bool
	once    sync.Once

	// scratch recycles packing buffers of the matrix products, so that kernels
	// running on a Pool do not allocate in the steady state.
	scratch sync.Pool
}

// NewPool starts a pool of workers goroutines (workers <= 0 means
// runtime.GOMAXPROCS(0)). The caller counts as one of them, so workers-1
// goroutines are started. Call Close to stop them.
func NewPool(workers int) *Pool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &Pool{workers: workers}
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

func (p *Pool) work() {
	for j := range p.jobs {
		j.run()
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
	j.wg.Add(j.chunks)
	// Wake at most one helper per chunk beyond the caller's; if the queue is
	// full the others are busy and the caller simply does more of the work.
	for range min(w-1, j.chunks-1) {
		select {
		case p.jobs <- j:
		default:
		}
	}
	j.run()
	j.wg.Wait()
	if v := j.panicked.Load(); v != nil {
		panic(fmt.Sprintf("tensor.Pool.For: worker panicked: %v", *v))
	}
}

// job is one For call. Participants claim chunks with an atomic counter, so a
// helper that arrives after all chunks are claimed returns at once, and the caller
// never waits for a helper that has not started: only for chunks in progress.
type job struct {
	fn               func(start, end int)
	n, chunk, chunks int
	next             atomic.Int64
	wg               sync.WaitGroup
	panicked         atomic.Pointer[any]
}

func (j *job) run() {
	for {
		c := int(j.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		start := c * j.chunk
		j.runChunk(start, min(start+j.chunk, j.n))
	}
}

func (j *job) runChunk(start, end int) {
	defer j.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			j.panicked.CompareAndSwap(nil, &r)
		}
	}()
	j.fn(start, end)
}
