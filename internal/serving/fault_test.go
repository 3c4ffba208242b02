package serving

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hfserve/internal/models"
)

// This file is the test-only fault hook: a decorator around a real loaded
// model that fails, panics or stalls its forward passes on demand, put in
// place by a loader that only tests use (loadRuntime's wrap). The decorated
// model still sits under the production panic guard and the production
// schedulers, so the faults travel the real request path.

// errInjected is the engine error a fault returns.
var errInjected = errors.New("injected engine fault")

// fault says what a faulty model does; its fields may change while
// requests run.
type fault struct {
	// every makes every every-th forward pass fail (0: none).
	every atomic.Int64
	// panics makes those passes panic instead of returning an error.
	panics atomic.Bool
	// delay makes every forward pass take at least this long, or until its
	// context ends.
	delay atomic.Int64
	calls atomic.Int64
}

func (f *fault) setEvery(n int)           { f.every.Store(int64(n)) }
func (f *fault) setDelay(d time.Duration) { f.delay.Store(int64(d)) }

// hit runs before each forward pass.
func (f *fault) hit(ctx context.Context) error {
	n := f.calls.Add(1)
	if d := time.Duration(f.delay.Load()); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if every := f.every.Load(); every > 0 && n%every == 0 {
		if f.panics.Load() {
			panic(fmt.Sprintf("injected panic on forward pass %d", n))
		}
		return fmt.Errorf("forward pass %d: %w", n, errInjected)
	}
	return nil
}

// wrap decorates a loaded model with the fault.
func (f *fault) wrap(m models.Model) models.Model {
	switch mm := m.(type) {
	case models.Decoder:
		return &faultyDecoder{Decoder: mm, f: f}
	case models.Encoder:
		return &faultyEncoder{Encoder: mm, f: f}
	}
	return m
}

type faultyDecoder struct {
	models.Decoder
	f *fault
}

func (d *faultyDecoder) Forward(ctx context.Context, b *models.Batch) ([]float32, error) {
	if err := d.f.hit(ctx); err != nil {
		return nil, err
	}
	return d.Decoder.Forward(ctx, b)
}

type faultyEncoder struct {
	models.Encoder
	f *fault
}

func (e *faultyEncoder) Encode(ctx context.Context, b *models.EncoderBatch) (*models.EncoderOutput, error) {
	if err := e.f.hit(ctx); err != nil {
		return nil, err
	}
	return e.Encoder.Encode(ctx, b)
}

// faultLoader loads runtimes as production does, with the named models'
// faults injected under the panic guard.
func faultLoader(b Batching, faults map[string]*fault) LoadFunc {
	return func(ctx context.Context, e Entry) (models.Model, error) {
		var wrap func(models.Model) models.Model
		if f := faults[e.Name]; f != nil {
			wrap = f.wrap
		}
		return loadRuntime(ctx, e, models.LoadOptions{}, b, wrap)
	}
}

// testClock is a settable clock for breakers and the manager.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// guardedSetup is a fault-tolerant service under test.
type guardedSetup struct {
	batching Batching
	opts     ServiceOptions
	// manager adjusts the manager's options (clock, backoff, budget).
	manager func(*ManagerOptions)
	// load replaces the fault loader.
	load   LoadFunc
	faults map[string]*fault
}

// newGuardedService builds a Service with s's options over models.
func newGuardedService(t testing.TB, s guardedSetup, served ...served) *Service {
	t.Helper()
	var entries []Entry
	for _, m := range served {
		e, err := newEntry(m.name, m.dir, m.dir, "")
		if err != nil {
			t.Fatal(err)
		}
		e.Spec = m.spec
		entries = append(entries, e)
	}
	cat, err := NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	mopts := ManagerOptions{Catalog: cat, Load: s.load, KeepAlive: -1}
	if mopts.Load == nil {
		mopts.Load = faultLoader(s.batching, s.faults)
	}
	if s.manager != nil {
		s.manager(&mopts)
	}
	m, err := NewManager(mopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	svc, err := NewServiceWith(m, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// breakerOf returns one model's breaker status.
func breakerOf(t *testing.T, svc *Service, model string) BreakerStatus {
	t.Helper()
	for _, st := range svc.Breakers() {
		if st.Model == model {
			return st
		}
	}
	t.Fatalf("no breaker status for %q", model)
	return BreakerStatus{}
}
