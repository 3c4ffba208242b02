package ratelimit

import (
	"context"
	"sync"
	"testing"
	"time"
)

// step is one action of a conformance case: advance the clock, admit (and
// compare the whole Decision), or release the ticket of an earlier step.
type step struct {
	advance time.Duration
	admit   *Limits
	key     string
	n       int64 // the estimate of an admit, the actual tokens of a done
	done    int   // for a done: the index of the admit step + 1
	want    Decision
}

func admit(lim Limits, estimate int64, want Decision) step {
	return step{admit: &lim, key: "k", n: estimate, want: want}
}
func admitKey(key string, lim Limits, want Decision) step {
	return step{admit: &lim, key: key, want: want}
}
func done(i int, actual int64) step { return step{done: i + 1, n: actual} }
func advance(d time.Duration) step  { return step{advance: d} }
func ok(requests, tokens Window) Decision {
	return Decision{Allowed: true, Requests: requests, Tokens: tokens}
}
func refused(reason string, after time.Duration, requests, tokens Window) Decision {
	return Decision{Reason: reason, RetryAfter: after, Requests: requests, Tokens: tokens}
}
func win(limit, remaining int64, reset time.Duration) Window {
	return Window{Limit: limit, Remaining: remaining, Reset: reset, Set: true}
}

const ms = time.Millisecond

type conformanceCase struct {
	name  string
	start string
	seeds map[string]int64 // period start (RFC 3339) → tokens used; nil: no Seed
	steps []step
	// wantSeeds is how many times Seed must have been called.
	wantSeeds int
}

// conformanceCases hold both implementations to the package's documented
// semantics; every expected value is worked out from them in the comments.
var conformanceCases = []conformanceCase{
	{
		// 2 per minute: a request comes back every 30s.
		name: "requests bucket", start: "2026-11-26T12:00:00Z",
		steps: []step{
			admit(Limits{RPM: 2}, 0, ok(win(2, 1, 30*time.Second), Window{})),
			admit(Limits{RPM: 2}, 0, ok(win(2, 0, 60*time.Second), Window{})),
			admit(Limits{RPM: 2}, 0, refused(ReasonRequests, 30*time.Second, win(2, 0, 60*time.Second), Window{})),
			advance(15 * time.Second),
			admit(Limits{RPM: 2}, 0, refused(ReasonRequests, 15*time.Second, win(2, 0, 45*time.Second), Window{})),
			advance(15 * time.Second),
			admit(Limits{RPM: 2}, 0, ok(win(2, 0, 60*time.Second), Window{})),
			advance(2 * time.Minute), // capacity caps the refill
			admit(Limits{RPM: 2}, 0, ok(win(2, 1, 30*time.Second), Window{})),
		},
	},
	{
		// 1000 per minute: a token comes back every 60ms.
		name: "tokens bucket is post-paid", start: "2026-11-26T12:00:00Z",
		steps: []step{
			admit(Limits{TPM: 1000}, 0, ok(Window{}, win(1000, 1000, 0))),
			done(0, 2500), // 1000 - 2500 = -1500
			// One token needs 1501 back (90.06s); full needs 2500 (150s).
			admit(Limits{TPM: 1000}, 0, refused(ReasonTokens, 90060*ms, Window{}, win(1000, 0, 150*time.Second))),
			advance(90 * time.Second), // back to 0
			admit(Limits{TPM: 1000}, 0, refused(ReasonTokens, 60*ms, Window{}, win(1000, 0, 60*time.Second))),
			advance(60 * ms),
			admit(Limits{TPM: 1000}, 0, ok(Window{}, win(1000, 1, 59940*ms))),
		},
	},
	{
		name: "token estimate reserved then corrected", start: "2026-11-26T12:00:00Z",
		steps: []step{
			admit(Limits{TPM: 1000}, 400, ok(Window{}, win(1000, 600, 24*time.Second))), // 400 × 60ms
			done(0, 100), // 300 over-reserved come back: 900
			admit(Limits{TPM: 1000}, 0, ok(Window{}, win(1000, 900, 6*time.Second))),
			done(2, 0),
			// Positive is enough, whatever the estimate: 900 - 5000 = -4100.
			admit(Limits{TPM: 1000}, 5000, ok(Window{}, win(1000, 0, 306*time.Second))),
			admit(Limits{TPM: 1000}, 0, refused(ReasonTokens, 246060*ms, Window{}, win(1000, 0, 306*time.Second))),
			done(4, 4000), // 1000 over-reserved: -3100
			admit(Limits{TPM: 1000}, 0, refused(ReasonTokens, 186060*ms, Window{}, win(1000, 0, 246*time.Second))),
		},
	},
	{
		name: "concurrency and idempotent Done", start: "2026-11-26T12:00:00Z",
		steps: []step{
			admit(Limits{MaxConcurrent: 2}, 0, ok(Window{}, Window{})),
			admit(Limits{MaxConcurrent: 2}, 0, ok(Window{}, Window{})),
			admit(Limits{MaxConcurrent: 2}, 0, refused(ReasonConcurrency, ConcurrencyRetryAfter, Window{}, Window{})),
			done(0, 0),
			admit(Limits{MaxConcurrent: 2}, 0, ok(Window{}, Window{})),
			done(0, 0), // a second Done frees nothing
			admit(Limits{MaxConcurrent: 2}, 0, refused(ReasonConcurrency, ConcurrencyRetryAfter, Window{}, Window{})),
			done(1, 0),
			done(4, 0),
			admit(Limits{MaxConcurrent: 2}, 0, ok(Window{}, Window{})),
		},
	},
	{
		name: "daily quota crosses midnight UTC", start: "2026-11-26T23:59:00Z",
		steps: []step{
			admit(Limits{DailyTokens: 100}, 0, ok(Window{}, Window{})),
			done(0, 150), // overshoot is allowed: nothing is reserved
			admit(Limits{DailyTokens: 100}, 0, refused(ReasonDailyTokens, 60*time.Second, Window{}, Window{})),
			advance(59 * time.Second),
			admit(Limits{DailyTokens: 100}, 0, refused(ReasonDailyTokens, time.Second, Window{}, Window{})),
			advance(time.Second),
			admit(Limits{DailyTokens: 100}, 0, ok(Window{}, Window{})),
			done(6, 99),
			admit(Limits{DailyTokens: 100}, 0, ok(Window{}, Window{})),
			done(8, 1),
			admit(Limits{DailyTokens: 100}, 0, refused(ReasonDailyTokens, 24*time.Hour, Window{}, Window{})),
		},
	},
	{
		name: "monthly quota crosses the month", start: "2026-11-30T23:00:00Z",
		steps: []step{
			admit(Limits{MonthlyTokens: 100}, 0, ok(Window{}, Window{})),
			done(0, 100),
			admit(Limits{MonthlyTokens: 100}, 0, refused(ReasonMonthlyTokens, time.Hour, Window{}, Window{})),
			advance(30 * time.Minute),
			admit(Limits{MonthlyTokens: 100}, 0, refused(ReasonMonthlyTokens, 30*time.Minute, Window{}, Window{})),
			advance(30 * time.Minute),
			admit(Limits{MonthlyTokens: 100}, 0, ok(Window{}, Window{})),
		},
	},
	{
		// Both quotas refuse and both end at the new year: the day is named.
		name: "day and month end together at the new year", start: "2026-12-31T22:00:00Z",
		steps: []step{
			admit(Limits{DailyTokens: 50, MonthlyTokens: 100}, 0, ok(Window{}, Window{})),
			done(0, 100),
			admit(Limits{DailyTokens: 50, MonthlyTokens: 100}, 0, refused(ReasonDailyTokens, 2*time.Hour, Window{}, Window{})),
			advance(2 * time.Hour),
			admit(Limits{DailyTokens: 50, MonthlyTokens: 100}, 0, ok(Window{}, Window{})),
		},
	},
	{
		// Day ends in 12h, month (1 December) in 15.5 days: the month names it.
		name: "longest wait names the reason", start: "2026-11-15T12:00:00Z",
		steps: []step{
			admit(Limits{RPM: 1, DailyTokens: 10, MonthlyTokens: 10}, 0, ok(win(1, 0, time.Minute), Window{})),
			done(0, 10),
			admit(Limits{RPM: 1, DailyTokens: 10, MonthlyTokens: 10}, 0,
				refused(ReasonMonthlyTokens, 372*time.Hour, win(1, 0, time.Minute), Window{})),
		},
	},
	{
		name: "a refusal takes nothing", start: "2026-11-26T12:00:00Z",
		steps: []step{
			admit(Limits{RPM: 1, MaxConcurrent: 1}, 0, ok(win(1, 0, time.Minute), Window{})),
			advance(time.Minute),
			admit(Limits{RPM: 1, MaxConcurrent: 1}, 0, refused(ReasonConcurrency, ConcurrencyRetryAfter, win(1, 1, 0), Window{})),
			done(0, 0),
			admit(Limits{RPM: 1, MaxConcurrent: 1}, 0, ok(win(1, 0, time.Minute), Window{})),
		},
	},
	{
		// 9 left of 10; a limit of 2 cuts the bucket to 2, then takes one.
		name: "changed limits apply at once", start: "2026-11-26T12:00:00Z",
		steps: []step{
			admit(Limits{RPM: 10}, 0, ok(win(10, 9, 6*time.Second), Window{})),
			admit(Limits{RPM: 2}, 0, ok(win(2, 1, 30*time.Second), Window{})),
		},
	},
	{
		name: "unset and negative limits are unlimited", start: "2026-11-26T12:00:00Z",
		steps: []step{
			admit(Limits{}, 1_000_000, ok(Window{}, Window{})),
			admit(Limits{RPM: -1, TPM: -1, MaxConcurrent: -1, DailyTokens: -1, MonthlyTokens: -1}, 0, ok(Window{}, Window{})),
		},
	},
	{
		name: "keys are separate", start: "2026-11-26T12:00:00Z",
		steps: []step{
			admitKey("a", Limits{RPM: 1}, ok(win(1, 0, time.Minute), Window{})),
			admitKey("a", Limits{RPM: 1}, refused(ReasonRequests, time.Minute, win(1, 0, time.Minute), Window{})),
			admitKey("b", Limits{RPM: 1}, ok(win(1, 0, time.Minute), Window{})),
			admitKey("{b}", Limits{RPM: 1}, ok(win(1, 0, time.Minute), Window{})),
			admitKey("", Limits{RPM: 1}, ok(win(1, 0, time.Minute), Window{})),
		},
	},
	{
		name: "quotas seeded from the store", start: "2026-11-26T12:00:00Z",
		seeds: map[string]int64{"2026-11-26T00:00:00Z": 90, "2026-11-01T00:00:00Z": 950},
		steps: []step{
			admit(Limits{DailyTokens: 100, MonthlyTokens: 1000}, 0, ok(Window{}, Window{})),
			done(0, 10), // day 100, month 960
			admit(Limits{DailyTokens: 100, MonthlyTokens: 1000}, 0, refused(ReasonDailyTokens, 12*time.Hour, Window{}, Window{})),
			advance(12 * time.Hour), // a new day, seeded with 0; the month goes on
			admit(Limits{DailyTokens: 100, MonthlyTokens: 1000}, 0, ok(Window{}, Window{})),
			done(4, 40), // month 1000
			admit(Limits{DailyTokens: 100, MonthlyTokens: 1000}, 0, refused(ReasonMonthlyTokens, 96*time.Hour, Window{}, Window{})),
		},
		wantSeeds: 3, // 26 November, November, 27 November
	},
	{
		// Day and month start at the same instant: one Seed answers both.
		name: "first of the month seeds once", start: "2026-12-01T08:00:00Z",
		seeds: map[string]int64{"2026-12-01T00:00:00Z": 70},
		steps: []step{
			admit(Limits{DailyTokens: 100, MonthlyTokens: 80}, 0, ok(Window{}, Window{})),
			done(0, 10),
			admit(Limits{DailyTokens: 100, MonthlyTokens: 80}, 0, refused(ReasonMonthlyTokens, 736*time.Hour, Window{}, Window{})),
		},
		wantSeeds: 1,
	},
}

// limiterFactory builds a limiter for one case; check runs after it.
type limiterFactory func(t *testing.T, name string, clock *fakeClock, seed SeedFunc) (lim Limiter, check func())

// runConformance plays every case against the limiters newLimiter builds.
func runConformance(t *testing.T, newLimiter limiterFactory) {
	for _, tc := range conformanceCases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock(at(tc.start))
			var (
				mu    sync.Mutex
				calls int
				seed  SeedFunc
			)
			if tc.seeds != nil {
				seed = func(_ context.Context, key string, start time.Time) (int64, error) {
					mu.Lock()
					defer mu.Unlock()
					calls++
					return tc.seeds[start.Format(time.RFC3339)], nil
				}
			}
			lim, check := newLimiter(t, tc.name, clock, seed)
			ctx := context.Background()
			tickets := make([]*Ticket, len(tc.steps))
			for i, s := range tc.steps {
				switch {
				case s.advance != 0:
					clock.Advance(s.advance)
				case s.done != 0:
					if err := tickets[s.done-1].Done(ctx, s.n); err != nil {
						t.Fatalf("step %d: Done: %v", i, err)
					}
				default:
					d, ticket, err := lim.Admit(ctx, s.key, *s.admit, s.n)
					if err != nil {
						t.Fatalf("step %d: Admit: %v", i, err)
					}
					if d != s.want {
						t.Fatalf("step %d: Admit =\n %+v\nwant\n %+v", i, d, s.want)
					}
					if (ticket != nil) != d.Allowed {
						t.Fatalf("step %d: ticket %v for Allowed=%v", i, ticket, d.Allowed)
					}
					tickets[i] = ticket
				}
			}
			mu.Lock()
			if calls != tc.wantSeeds {
				t.Errorf("Seed called %d times, want %d", calls, tc.wantSeeds)
			}
			mu.Unlock()
			check()
		})
	}
}

func TestConformanceLocal(t *testing.T) {
	runConformance(t, func(t *testing.T, _ string, clock *fakeClock, seed SeedFunc) (Limiter, func()) {
		return NewLocal(LocalOptions{Now: clock.Now, Seed: seed}), func() {}
	})
}
