package retry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDelay checks the schedule against the formula written out by hand:
// Initial·Multiplier^attempt, capped at Max, shortened by Jitter·rand.
func TestDelay(t *testing.T) {
	half := func() float64 { return 0.5 }
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		want    time.Duration
	}{
		{"zero value", Backoff{}, 3, 0},
		{"first", Backoff{Initial: time.Second}, 0, time.Second},
		{"doubles by default", Backoff{Initial: time.Second}, 3, 8 * time.Second},
		{"multiplier", Backoff{Initial: time.Second, Multiplier: 3}, 2, 9 * time.Second},
		{"multiplier below one means two", Backoff{Initial: time.Second, Multiplier: 0.5}, 1, 2 * time.Second},
		{"capped", Backoff{Initial: time.Second, Max: 5 * time.Second}, 3, 5 * time.Second},
		{"huge attempt stays capped", Backoff{Initial: time.Second, Max: time.Minute}, 5000, time.Minute},
		{"huge attempt without cap does not overflow", Backoff{Initial: time.Second}, 5000, time.Duration(1<<63 - 1)},
		{"negative attempt is the first", Backoff{Initial: time.Second}, -4, time.Second},
		{"jitter shortens", Backoff{Initial: 4 * time.Second, Jitter: 0.5, Rand: half}, 0, 3 * time.Second},
		{"jitter applies after the cap", Backoff{Initial: 4 * time.Second, Max: 2 * time.Second, Jitter: 1, Rand: half}, 3, time.Second},
		{"jitter above one is one", Backoff{Initial: 4 * time.Second, Jitter: 7, Rand: half}, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		if got := tt.b.Delay(tt.attempt); got != tt.want {
			t.Errorf("%s: Delay(%d) = %s, want %s", tt.name, tt.attempt, got, tt.want)
		}
	}
}

// TestDelayJitterRange draws real random delays and checks their bounds.
func TestDelayJitterRange(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Jitter: 0.5}
	seen := map[time.Duration]bool{}
	for i := range 200 {
		d := b.Delay(i % 6)
		full := min(100*time.Millisecond<<(i%6), time.Second)
		if d > full || d < full/2 {
			t.Fatalf("Delay(%d) = %s outside [%s, %s]", i%6, d, full/2, full)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Fatalf("only %d distinct delays in 200 draws: no jitter", len(seen))
	}
}

func TestDo(t *testing.T) {
	errTransient := errors.New("transient")
	errFatal := errors.New("fatal")
	fast := Backoff{Initial: time.Microsecond}
	tests := []struct {
		name      string
		policy    Policy
		results   []error // what successive calls return; past the end, nil
		wantCalls int
		wantErr   error
		wantMsg   string
	}{
		{"success at once", Policy{Backoff: fast, Attempts: 3}, nil, 1, nil, ""},
		{"success on the third try", Policy{Backoff: fast, Attempts: 3}, []error{errTransient, errTransient}, 3, nil, ""},
		{"out of attempts", Policy{Backoff: fast, Attempts: 2}, []error{errTransient, errTransient, errTransient}, 2, errTransient, "after 2 attempts"},
		{"one attempt", Policy{Backoff: fast}, []error{errTransient}, 1, errTransient, "transient"},
		{"not retryable", Policy{Backoff: fast, Attempts: 5, Retryable: func(err error) bool { return !errors.Is(err, errFatal) }},
			[]error{errTransient, errFatal}, 2, errFatal, "fatal"},
		{"permanent", Policy{Backoff: fast, Attempts: 5}, []error{Permanent(errFatal)}, 1, errFatal, "fatal"},
	}
	for _, tt := range tests {
		calls := 0
		err := Do(context.Background(), tt.policy, func(context.Context) error {
			calls++
			if calls <= len(tt.results) {
				return tt.results[calls-1]
			}
			return nil
		})
		if calls != tt.wantCalls {
			t.Errorf("%s: %d calls, want %d", tt.name, calls, tt.wantCalls)
		}
		if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) || !strings.Contains(errString(err), tt.wantMsg) {
			t.Errorf("%s: error %v, want %v containing %q", tt.name, err, tt.wantErr, tt.wantMsg)
		}
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestDoStopsWithContext checks a wait is cut short by the context.
func TestDoStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	errTransient := errors.New("transient")
	start := time.Now()
	err := Do(ctx, Policy{Backoff: Backoff{Initial: time.Hour}, Attempts: 3}, func(context.Context) error { return errTransient })
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errTransient) {
		t.Fatalf("error %v, want the deadline and the last error", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Do waited %s for an hour-long backoff after its context ended", took)
	}
	// A context already over stops retrying after the failed call.
	calls := 0
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	_ = Do(cctx, Policy{Backoff: Backoff{Initial: time.Microsecond}, Attempts: 3}, func(context.Context) error { calls++; return errTransient })
	if calls != 1 {
		t.Fatalf("%d calls with a cancelled context, want 1", calls)
	}
}
