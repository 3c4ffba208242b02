package tensor

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolForCoversEachIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 5} {
		var p *Pool
		if workers > 0 {
			p = NewPool(workers)
		}
		for _, n := range []int{0, 1, 2, 7, 100, 1001} {
			for _, grain := range []int{0, 1, 3, 64, 2000} {
				hits := make([]int32, n)
				var calls atomic.Int32
				p.For(n, grain, func(s, e int) {
					calls.Add(1)
					if s >= e {
						t.Errorf("empty chunk [%d, %d)", s, e)
					}
					if e-s < grain && e != n {
						t.Errorf("chunk [%d, %d) smaller than grain %d", s, e, grain)
					}
					for i := s; i < e; i++ {
						atomic.AddInt32(&hits[i], 1)
					}
				})
				for i, h := range hits {
					if h != 1 {
						t.Fatalf("workers=%d n=%d grain=%d: index %d ran %d times", workers, n, grain, i, h)
					}
				}
			}
		}
		p.Close()
	}
}

func TestPoolNestedAndConcurrent(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	var wg sync.WaitGroup
	var total atomic.Int64
	for range 4 {
		wg.Go(func() {
			p.For(20, 1, func(s, e int) {
				for range e - s {
					p.For(30, 1, func(s, e int) { total.Add(int64(e - s)) })
				}
			})
		})
	}
	wg.Wait()
	if got := total.Load(); got != 4*20*30 {
		t.Fatalf("nested loops ran %d inner iterations, want %d", got, 4*20*30)
	}
}

func TestPoolPanicReachesCaller(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "boom") {
			t.Fatalf("recovered %v, want the worker's panic", r)
		}
	}()
	p.For(100, 1, func(s, e int) {
		if s <= 50 && 50 < e {
			panic("boom")
		}
	})
}

func TestPoolZeroAndClosed(t *testing.T) {
	var zero Pool
	if zero.Workers() != 1 {
		t.Errorf("zero Pool has %d workers", zero.Workers())
	}
	n := 0
	zero.For(10, 1, func(s, e int) { n += e - s })
	p := NewPool(4)
	if p.Workers() != 4 {
		t.Errorf("NewPool(4).Workers() = %d", p.Workers())
	}
	p.Close()
	p.Close()
	p.For(10, 1, func(s, e int) { n += e - s })
	if n != 20 {
		t.Errorf("ran %d iterations, want 20", n)
	}
	if NewPool(0).Workers() < 1 {
		t.Error("NewPool(0) has no workers")
	}
}

// TestPoolBackToBack runs many short loops in a row, so that workers join
// loops while polling rather than through the channel, from two goroutines at
// once, and closes the pool while its workers are still polling; and again
// with polling off, so that every hand-off goes through the channel and
// every wait blocks.
func TestPoolBackToBack(t *testing.T) {
	for _, spin := range []time.Duration{spinTime, 0} {
		t.Run(spin.String(), func(t *testing.T) { backToBack(t, spin) })
	}
}

func backToBack(t *testing.T, spin time.Duration) {
	p := newPool(3, spin)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := range 2000 {
				n := 1 + (i*7+g)%40
				hits := make([]int32, n)
				p.For(n, 1, func(s, e int) {
					for j := s; j < e; j++ {
						atomic.AddInt32(&hits[j], 1)
					}
				})
				for j, h := range hits {
					if h != 1 {
						t.Errorf("loop %d: index %d ran %d times", i, j, h)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	p.Close()
	n := 0
	p.For(5, 1, func(s, e int) { n += e - s })
	if n != 5 {
		t.Errorf("after Close: ran %d iterations, want 5", n)
	}
}
