package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

// The expected strings are values OpenAI's API has been seen to send in
// x-ratelimit-reset-* (its rate-limit guide shows "1s" and "6m0s"; captured
// responses show "8.64s", "6ms", "547ms", "3.114s", "2m52.8s", "20ms").
func TestFormatReset(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Second, "1s"},
		{6 * time.Minute, "6m0s"},
		{8640 * time.Millisecond, "8.64s"},
		{6 * time.Millisecond, "6ms"},
		{547 * time.Millisecond, "547ms"},
		{3114 * time.Millisecond, "3.114s"},
		{172800 * time.Millisecond, "2m52.8s"},
		{20 * time.Millisecond, "20ms"},
		// Ours: nothing to wait for, and rounding up below a millisecond.
		{0, "0s"},
		{-time.Second, "0s"},
		{time.Microsecond, "1ms"},
		{1500 * time.Microsecond, "2ms"},
		{time.Second + time.Nanosecond, "1.001s"},
	}
	for _, tt := range tests {
		if got := FormatReset(tt.d); got != tt.want {
			t.Errorf("FormatReset(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{
		{0, 1},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Millisecond, 2},
		{30 * time.Second, 30},
		{90060 * time.Millisecond, 91},
		{time.Duration(1<<63 - 1), (1<<63-1)/int64(time.Second) + 1},
	}
	for _, tt := range tests {
		if got := RetryAfterSeconds(tt.d); got != tt.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestWriteHeaders(t *testing.T) {
	tests := []struct {
		name string
		d    Decision
		want map[string]string // header → value; "" means absent
	}{
		{
			name: "allowed with both windows",
			d: Decision{Allowed: true,
				Requests: Window{Limit: 60, Remaining: 59, Reset: time.Second, Set: true},
				Tokens:   Window{Limit: 150000, Remaining: 149984, Reset: 6 * time.Minute, Set: true}},
			want: map[string]string{
				"X-Ratelimit-Limit-Requests": "60", "X-Ratelimit-Remaining-Requests": "59", "X-Ratelimit-Reset-Requests": "1s",
				"X-Ratelimit-Limit-Tokens": "150000", "X-Ratelimit-Remaining-Tokens": "149984", "X-Ratelimit-Reset-Tokens": "6m0s",
				"Retry-After": "",
			},
		},
		{
			name: "refused for tokens, requests unset",
			d: Decision{Reason: ReasonTokens, RetryAfter: 1500 * time.Millisecond,
				Tokens: Window{Limit: 1000, Remaining: -5, Reset: 90 * time.Second, Set: true}},
			want: map[string]string{
				"X-Ratelimit-Limit-Requests": "", "X-Ratelimit-Remaining-Requests": "", "X-Ratelimit-Reset-Requests": "",
				"X-Ratelimit-Limit-Tokens": "1000", "X-Ratelimit-Remaining-Tokens": "0", "X-Ratelimit-Reset-Tokens": "1m30s",
				"Retry-After": "2",
			},
		},
		{
			name: "refused for concurrency, no windows",
			d:    Decision{Reason: ReasonConcurrency, RetryAfter: ConcurrencyRetryAfter},
			want: map[string]string{"X-Ratelimit-Limit-Requests": "", "X-Ratelimit-Limit-Tokens": "", "Retry-After": "1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			tt.d.WriteHeaders(h)
			for name, want := range tt.want {
				if got := h.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			// Clients look them up by OpenAI's lower-case spelling.
			if tt.d.Tokens.Set && h.Get("x-ratelimit-limit-tokens") == "" {
				t.Error("lower-case lookup of x-ratelimit-limit-tokens failed")
			}
		})
	}
}
