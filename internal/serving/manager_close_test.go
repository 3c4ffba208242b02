package serving

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l := newTestLoader()
	m, err := NewManager(ManagerOptions{
		Catalog: fixtureCatalog(t, "bert", "gpt2", "llama"), Load: l.load,
		KeepAlive: time.Hour, LoadTimeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	acquireRelease(t, m, "bert")
	held, err := m.Acquire(context.Background(), "gpt2")
	if err != nil {
		t.Fatal(err)
	}
	// A load in progress when Close starts: its waiter gets ErrClosed.
	l.closeGate()
	waiting := make(chan error, 1)
	go func() {
		_, err := m.Acquire(context.Background(), "llama")
		waiting <- err
	}()
	eventually(t, "a waiter", func() bool { return waiters(m, "llama") == 1 })

	closed := make(chan error, 1)
	go func() { closed <- m.Close(context.Background()) }()
	if err := <-waiting; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter during Close got %v, want ErrClosed", err)
	}
	// Close waits for the lease and the gated loader.
	select {
	case err := <-closed:
		t.Fatalf("Close returned with a lease held and a loader running: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	held.Release()
	l.openGate()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if open := l.loaded.Load() - l.closes.Load(); open != 0 {
		t.Fatalf("%d models left open", open)
	}
	for _, st := range m.Status() {
		if st.State != StateAvailable || st.ReservedBytes != 0 {
			t.Errorf("after Close: %+v", st)
		}
	}
	if _, err := m.Acquire(context.Background(), "bert"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Acquire after Close = %v", err)
	}
	if err := m.Load(context.Background(), "bert"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Load after Close = %v", err)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestCloseDeadlineForcesUnload(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l := newTestLoader()
	m, err := NewManager(ManagerOptions{Catalog: fixtureCatalog(t, "bert"), Load: l.load, KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	lease, err := m.Acquire(context.Background(), "bert")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a lease held past its deadline = %v", err)
	}
	if l.closes.Load() != 1 {
		t.Fatal("the leased model was not closed")
	}
	lease.Release() // late, harmless
	if st := statusOf(t, m, "bert"); st.InFlight != 0 || st.State != StateAvailable {
		t.Fatalf("status = %+v", st)
	}
}

// residentCount counts the models loaded and the loads admitted, which
// max_loaded_models bounds (models on their way out are not counted).
func residentCount(m *Manager) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.slots {
		if s.state == StateLoaded || (s.state == StateLoading && s.admitted) {
			n++
		}
	}
	return n
}

// 200 goroutines hammer 3 models with room for 2: nothing deadlocks, the
// limit holds at every instant, and the only error is the capacity one
// (both resident models busy when a third is asked for) — none at all when
// loads may wait for capacity.
func TestConcurrentAcquireRelease(t *testing.T) {
	tests := []struct {
		name         string
		capacityWait time.Duration
	}{
		{"fail fast", 0},
		{"wait for capacity", 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hammer(t, tt.capacityWait)
		})
	}
}

func hammer(t *testing.T, capacityWait time.Duration) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	names := []string{"bert", "gpt2", "llama"}
	l := newTestLoader()
	m, err := NewManager(ManagerOptions{
		Catalog: fixtureCatalog(t, names...), Load: l.load,
		MaxLoadedModels: 2, KeepAlive: -1, LoadTimeout: time.Minute, CapacityWait: capacityWait,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	var over atomic.Int64
	go func() {
		defer close(watchDone)
		for {
			select {
			case <-stopWatch:
				return
			default:
			}
			if residentCount(m) > 2 {
				over.Add(1)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()

	var wg sync.WaitGroup
	var ok, refused atomic.Int64
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for range 10 {
				// Pauses between requests leave models idle now and then,
				// so that evictions happen.
				time.Sleep(time.Duration(r.IntN(1000)) * time.Microsecond)
				name := names[r.IntN(len(names))]
				lease, err := m.Acquire(ctx, name)
				if errors.Is(err, ErrCannotFit) && capacityWait == 0 {
					refused.Add(1)
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if lease.Model() == nil || lease.Name() != name {
					errs <- errors.New("lease without its model")
				}
				time.Sleep(time.Duration(r.IntN(200)) * time.Microsecond)
				ok.Add(1)
				lease.Release()
			}
		}()
	}
	wg.Wait()
	close(stopWatch)
	<-watchDone
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the run hit its deadline: a deadlock or a lost wake-up")
	}
	if n := over.Load(); n > 0 {
		t.Errorf("more than 2 models resident in %d samples", n)
	}
	if ok.Load() == 0 {
		t.Fatal("no Acquire succeeded")
	}
	var inFlight int
	var hits, misses, evictions uint64
	for _, st := range m.Status() {
		inFlight += st.InFlight
		hits += st.Hits
		misses += st.Misses
		evictions += st.Evictions.LRU
	}
	if inFlight != 0 || int64(hits+misses) != ok.Load() {
		t.Fatalf("in flight %d, hits+misses %d, successes %d", inFlight, hits+misses, ok.Load())
	}
	t.Logf("%d leases, %d refused, %d loads, %d evictions", ok.Load(), refused.Load(), l.loaded.Load(), evictions)
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if open := l.loaded.Load() - l.closes.Load(); open != 0 {
		t.Fatalf("%d models left open", open)
	}
}
