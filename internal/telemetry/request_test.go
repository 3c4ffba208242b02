package telemetry

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestRequestNilIsSafe(t *testing.T) {
	var r *Request
	r.SetEndpoint("GET /x")
	r.SetModel("m")
	r.SetCache("hit")
	r.SetPrompt("p")
	r.AddTokens(1, 2, 3)
	r.BeginWork(time.Now())
	r.EndWork(time.Now())
	r.Scheduled(time.Second, time.Now())
	r.Token(time.Now())
	if s := r.Snapshot(); s != (RequestSnapshot{}) {
		t.Errorf("nil Request snapshot = %+v", s)
	}
	if RequestFrom(context.Background()) != nil {
		t.Error("RequestFrom(background) != nil")
	}
}

// TestRequestTimings derives each timing from hand-placed instants.
func TestRequestTimings(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name     string
		record   func(r *Request)
		now      time.Time
		queue    time.Duration
		infer    time.Duration
		ttft     time.Duration
		ttftOK   bool
		tpot     time.Duration
		tpotOK   bool
		sequence int
	}{
		{name: "nothing ran", record: func(r *Request) {}, now: at(50)},
		{
			// Arrives at 0, work 10..110, queued 10..30, tokens at 40, 60, 80, 100.
			name: "one sequence",
			record: func(r *Request) {
				r.BeginWork(at(10))
				r.Scheduled(20*time.Millisecond, at(30))
				for _, ms := range []int{40, 60, 80, 100} {
					r.Token(at(ms))
				}
				r.AddTokens(7, 4, 1)
				r.EndWork(at(110))
			},
			now: at(500), queue: 20 * time.Millisecond, infer: 80 * time.Millisecond,
			ttft: 40 * time.Millisecond, ttftOK: true, tpot: 20 * time.Millisecond, tpotOK: true,
		},
		{
			// Two choices stepping together, 3 tokens each: 6 tokens at
			// 40,40,50,50,60,60 — 10 ms per token per sequence.
			name: "two sequences",
			record: func(r *Request) {
				r.BeginWork(at(0))
				r.Scheduled(0, at(5))
				for _, ms := range []int{40, 40, 50, 50, 60, 60} {
					r.Token(at(ms))
				}
				r.AddTokens(3, 6, 2)
				r.EndWork(at(70))
			},
			now: at(70), infer: 65 * time.Millisecond,
			ttft: 40 * time.Millisecond, ttftOK: true, tpot: 10 * time.Millisecond, tpotOK: true,
		},
		{
			// Still running: inference time runs to now; one token has no
			// time per token.
			name: "running",
			record: func(r *Request) {
				r.BeginWork(at(10))
				r.Token(at(20))
				r.AddTokens(2, 1, 1)
			},
			now: at(90), infer: 80 * time.Millisecond, ttft: 20 * time.Millisecond, ttftOK: true,
		},
		{
			// The longest queue wait and the earliest start are kept.
			name: "several scheduled parts",
			record: func(r *Request) {
				r.BeginWork(at(0))
				r.Scheduled(5*time.Millisecond, at(15))
				r.Scheduled(9*time.Millisecond, at(12))
				r.Scheduled(1*time.Millisecond, at(20))
				r.EndWork(at(40))
			},
			now: at(100), queue: 9 * time.Millisecond, infer: 28 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRequest(t0, false)
			tt.record(r)
			s := r.Snapshot()
			if s.Queue != tt.queue {
				t.Errorf("queue %v, want %v", s.Queue, tt.queue)
			}
			if got := s.InferenceTime(tt.now); got != tt.infer {
				t.Errorf("inference %v, want %v", got, tt.infer)
			}
			if got, ok := s.TimeToFirstToken(); got != tt.ttft || ok != tt.ttftOK {
				t.Errorf("ttft %v %v, want %v %v", got, ok, tt.ttft, tt.ttftOK)
			}
			if got, ok := s.TimePerOutputToken(); got != tt.tpot || ok != tt.tpotOK {
				t.Errorf("tpot %v %v, want %v %v", got, ok, tt.tpot, tt.tpotOK)
			}
		})
	}
}

func TestRequestPromptKeptOnlyWhenAsked(t *testing.T) {
	for _, keep := range []bool{false, true} {
		r := NewRequest(time.Now(), keep)
		r.SetPrompt("a")
		r.SetPrompt("b")
		want := ""
		if keep {
			want = "a\nb"
		}
		if got := r.Snapshot().Prompt; got != want {
			t.Errorf("keep=%v: prompt %q, want %q", keep, got, want)
		}
	}
}

// TestRequestConcurrent records from many goroutines, as the schedulers
// and the serving layer do; run with -race.
func TestRequestConcurrent(t *testing.T) {
	r := NewRequest(time.Now(), false)
	ctx := WithRequest(context.Background(), r)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := RequestFrom(ctx)
			for range 100 {
				rec.AddTokens(1, 1, 0)
				rec.Token(time.Now())
				_ = rec.Snapshot()
			}
		}()
	}
	wg.Wait()
	if s := r.Snapshot(); s.PromptTokens != 800 || s.GeneratedTokens != 800 {
		t.Errorf("tokens %d/%d, want 800/800", s.PromptTokens, s.GeneratedTokens)
	}
}
