package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func (l *Local) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// admitMany runs n Admits from as many goroutines at once and returns the
// admitted tickets.
func admitMany(t *testing.T, lims []Limiter, n int, key string, lim Limits) []*Ticket {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		tickets []*Ticket
		failed  atomic.Value
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			d, ticket, err := lims[i%len(lims)].Admit(context.Background(), key, lim, 0)
			if err != nil {
				failed.Store(err)
				return
			}
			if d.Allowed {
				mu.Lock()
				tickets = append(tickets, ticket)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("Admit: %v", err)
	}
	return tickets
}

func TestLocalNeverOverAdmits(t *testing.T) {
	tests := []struct {
		name string
		lim  Limits
		want int
	}{
		{"requests per minute", Limits{RPM: 25}, 25},
		{"concurrency", Limits{MaxConcurrent: 7}, 7},
		{"tightest of both", Limits{RPM: 25, MaxConcurrent: 7}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(at("2026-11-26T12:00:00Z"))
			l := NewLocal(LocalOptions{Now: clock.Now})
			if got := len(admitMany(t, []Limiter{l}, 200, "k", tt.lim)); got != tt.want {
				t.Fatalf("admitted %d of 200, want %d", got, tt.want)
			}
		})
	}
}

func TestLocalEvictsOnlyIdleKeys(t *testing.T) {
	clock := newFakeClock(at("2026-11-26T12:00:00Z"))
	l := NewLocal(LocalOptions{Now: clock.Now, MaxKeys: 4})
	ctx := context.Background()
	mustAdmit := func(key string, lim Limits) *Ticket {
		t.Helper()
		d, ticket, err := l.Admit(ctx, key, lim, 0)
		if err != nil || !d.Allowed {
			t.Fatalf("Admit(%s) = %+v, %v", key, d, err)
		}
		return ticket
	}
	admitDone := func(key string, lim Limits, tokens int64) {
		t.Helper()
		if err := mustAdmit(key, lim).Done(ctx, tokens); err != nil {
			t.Fatal(err)
		}
	}
	held := mustAdmit("in-flight", Limits{})
	admitDone("quota", Limits{DailyTokens: 100}, 10) // no Seed: its count would be lost
	admitDone("a", Limits{RPM: 1}, 0)
	admitDone("b", Limits{RPM: 1}, 0)
	// Nothing is idle yet (a and b wait for their buckets to refill): the
	// map grows past MaxKeys instead.
	admitDone("c", Limits{RPM: 1}, 0)
	if got := l.size(); got != 5 {
		t.Fatalf("size = %d, want 5 (no key idle)", got)
	}
	clock.Advance(time.Minute) // a, b, c full again
	admitDone("d", Limits{}, 0)
	if got := l.size(); got != 3 {
		t.Fatalf("size = %d, want 3 (in-flight, quota, d)", got)
	}
	// The kept keys kept their state.
	if d, _, _ := l.Admit(ctx, "quota", Limits{DailyTokens: 10}, 0); d.Allowed {
		t.Fatal("the quota key's count was lost")
	}
	if err := held.Done(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := l.Admit(ctx, "in-flight", Limits{MaxConcurrent: 1}, 0); !d.Allowed {
		t.Fatalf("in-flight key after Done: %+v", d)
	}
}

func TestLocalSeedErrorIsAnError(t *testing.T) {
	errStore := errors.New("store down")
	var fail atomic.Bool
	fail.Store(true)
	l := NewLocal(LocalOptions{
		Now: newFakeClock(at("2026-11-26T12:00:00Z")).Now,
		Seed: func(context.Context, string, time.Time) (int64, error) {
			if fail.Load() {
				return 0, errStore
			}
			return 5, nil
		},
	})
	ctx := context.Background()
	if _, ticket, err := l.Admit(ctx, "k", Limits{DailyTokens: 5}, 0); !errors.Is(err, errStore) || ticket != nil {
		t.Fatalf("Admit with a failing Seed = %v, %v; want the store's error and no ticket", ticket, err)
	}
	// Limits without quotas never ask the store.
	if d, _, err := l.Admit(ctx, "k", Limits{RPM: 5}, 0); err != nil || !d.Allowed {
		t.Fatalf("Admit without quotas = %+v, %v", d, err)
	}
	fail.Store(false)
	d, _, err := l.Admit(ctx, "k", Limits{DailyTokens: 5}, 0)
	if err != nil || d.Allowed || d.Reason != ReasonDailyTokens {
		t.Fatalf("Admit after the store recovered = %+v, %v; want refused by the seeded count", d, err)
	}
}

func TestNilTicketDone(t *testing.T) {
	var nilTicket *Ticket
	if err := nilTicket.Done(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	if err := new(Ticket).Done(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
}
