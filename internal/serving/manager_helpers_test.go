package serving

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hfserve/internal/models"
	"hfserve/internal/models/auto"
)

// fixtureCatalog builds a catalog of tiny fixture models, each named after
// its folder.
func fixtureCatalog(t *testing.T, names ...string) *Catalog {
	t.Helper()
	var entries []Entry
	for _, n := range names {
		dir := abs(t, filepath.Join(tiny, n))
		e, err := newEntry(n, dir, dir, "")
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	c, err := NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fixtureEstimate is a fixture's size as the safetensors headers give it.
func fixtureEstimate(t *testing.T, name string) int64 {
	t.Helper()
	n, err := EstimateBytes(filepath.Join(tiny, name))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// trackedModel wraps a loaded model to count Close calls.
type trackedModel struct {
	models.Model
	closes *atomic.Int64
	closed atomic.Bool
}

func (m *trackedModel) Close() error {
	if m.closed.CompareAndSwap(false, true) {
		m.closes.Add(1)
	}
	return m.Model.Close()
}

// testLoader wraps auto.Load: it counts loads per model and closes, and
// can hold loads at a gate or fail them.
type testLoader struct {
	mu     sync.Mutex
	counts map[string]int
	closes atomic.Int64
	loaded atomic.Int64

	// gate, when set, holds every load until it is closed or, if
	// honourCtx, until the load's context ends.
	gate      chan struct{}
	gateOpen  bool
	honourCtx bool
	// ctxErrs receives the load context's error of loads that ended at
	// the gate because of it.
	ctxErrs chan error
	fail    func(name string) error
}

func newTestLoader() *testLoader {
	return &testLoader{counts: map[string]int{}, ctxErrs: make(chan error, 100)}
}

func (l *testLoader) load(ctx context.Context, e Entry) (models.Model, error) {
	l.mu.Lock()
	l.counts[e.Name]++
	gate, fail := l.gate, l.fail
	l.mu.Unlock()
	if gate != nil {
		if l.honourCtx {
			select {
			case <-gate:
			case <-ctx.Done():
				l.ctxErrs <- ctx.Err()
				return nil, ctx.Err()
			}
		} else {
			<-gate
		}
	}
	if fail != nil {
		if err := fail(e.Name); err != nil {
			return nil, err
		}
	}
	m, err := auto.Load(ctx, e.Dir, models.LoadOptions{})
	if err != nil {
		return nil, err
	}
	l.loaded.Add(1)
	return &trackedModel{Model: m, closes: &l.closes}, nil
}

func (l *testLoader) count(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[name]
}

// closeGate makes later loads wait at a new gate.
func (l *testLoader) closeGate() {
	l.mu.Lock()
	l.gate = make(chan struct{})
	l.gateOpen = false
	l.mu.Unlock()
}

// openGate lets every load held at the gate, and every later one, through.
func (l *testLoader) openGate() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gate != nil && !l.gateOpen {
		close(l.gate)
		l.gateOpen = true
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newTestManager builds a manager over the named fixtures with l as its
// loader and closes it when the test ends.
func newTestManager(t *testing.T, l *testLoader, opts ManagerOptions, names ...string) *Manager {
	t.Helper()
	if opts.Catalog == nil {
		opts.Catalog = fixtureCatalog(t, names...)
	}
	if opts.Load == nil {
		opts.Load = AutoLoader(nil)
		if l != nil {
			opts.Load = l.load
		}
	}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if l != nil {
			// Let gated loaders finish so Close need not wait for them.
			l.openGate()
		}
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

// statusOf returns one model's status.
func statusOf(t *testing.T, m *Manager, name string) ModelStatus {
	t.Helper()
	for _, s := range m.Status() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no status for %q", name)
	return ModelStatus{}
}

// sweepNow runs a keep-alive sweep on the test's goroutine and then waits
// for any unload the janitor goroutine began meanwhile. A release kicks the
// janitor, which may run late (on a loaded machine, after the test has
// advanced its clock) and sweep at the same fake time: it then takes the
// models due, and the test's own sweep returns while they are still being
// closed, in StateUnloading. The test checks the states the sweep leads to,
// whichever goroutine did the unloading.
func sweepNow(t *testing.T, m *Manager) {
	t.Helper()
	m.sweep()
	eventually(t, "unloads begun by the janitor", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, s := range m.slots {
			if s.state == StateUnloading && s.leases == 0 {
				return false
			}
		}
		return true
	})
}

// eventually polls cond until it holds or a few seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// waiters counts the callers waiting on name's load in progress.
func waiters(m *Manager, name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.byName[name]
	if s.call == nil || s.call.finished {
		return 0
	}
	return s.call.waiters
}

// acquireRelease takes and drops a lease, failing the test on error.
func acquireRelease(t *testing.T, m *Manager, name string) {
	t.Helper()
	l, err := m.Acquire(context.Background(), name)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", name, err)
	}
	l.Release()
}

// states maps each model to its state.
func states(m *Manager) map[string]State {
	out := map[string]State{}
	for _, s := range m.Status() {
		out[s.Name] = s.State
	}
	return out
}

// copyFixture copies a fixture folder into a temporary folder.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join(tiny, name)
	dst := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := copyFile(filepath.Join(src, f.Name()), filepath.Join(dst, f.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
