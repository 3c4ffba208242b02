package auth

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultUsageFlushInterval is Run's interval when it is given none.
const DefaultUsageFlushInterval = 10 * time.Second

// UsageOptions configure a UsageRecorder. The zero value reads the real
// clock and discards logs.
type UsageOptions struct {
	// Now tells the time, which picks the day a request counts on; nil is
	// time.Now.
	Now func() time.Time
	// Logger receives failed flushes; nil discards them.
	Logger *slog.Logger
}

// UsageRecorder counts usage in memory and adds it to a store in batches.
// Memory holds one record per key, model and day seen since the last
// successful flush. It is safe for concurrent use.
type UsageRecorder struct {
	store Store
	now   func() time.Time
	log   *slog.Logger

	// flushMu serializes flushes with each other and with Usage, which
	// would otherwise see a batch in flight twice or not at all.
	flushMu sync.Mutex

	mu       sync.Mutex
	pending  map[usageKey]*UsageRecord
	lastUsed map[string]time.Time
}

// NewUsageRecorder returns a recorder that flushes to store.
func NewUsageRecorder(store Store, opts UsageOptions) *UsageRecorder {
	u := &UsageRecorder{store: store, now: opts.Now, log: opts.Logger,
		pending: map[usageKey]*UsageRecord{}, lastUsed: map[string]time.Time{}}
	if u.now == nil {
		u.now = time.Now
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	return u
}

// Record counts one request of key keyID to model on today's UTC day;
// negative token counts count as 0. It never blocks on the store.
func (u *UsageRecorder) Record(keyID, model string, promptTokens, generatedTokens int, failed bool) {
	now := u.now()
	r := UsageRecord{Day: Day(now), KeyID: keyID, Model: model, Requests: 1,
		PromptTokens: int64(max(promptTokens, 0)), GeneratedTokens: int64(max(generatedTokens, 0))}
	if failed {
		r.Errors = 1
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.addLocked(&r)
	if t, ok := u.lastUsed[keyID]; !ok || now.After(t) {
		u.lastUsed[keyID] = now
	}
}

// addLocked adds r to the pending counts; u.mu is held.
func (u *UsageRecorder) addLocked(r *UsageRecord) {
	if p := u.pending[r.key()]; p != nil {
		p.add(r)
		return
	}
	c := *r
	u.pending[r.key()] = &c
}

// Flush adds the pending counts to the store, and the keys' last-used
// times. When the store fails, the counts stay pending for the next flush.
func (u *UsageRecorder) Flush(ctx context.Context) error {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	u.mu.Lock()
	batch, touched := u.pending, u.lastUsed
	u.pending, u.lastUsed = map[usageKey]*UsageRecord{}, map[string]time.Time{}
	u.mu.Unlock()

	if len(batch) > 0 {
		records := make([]UsageRecord, 0, len(batch))
		for _, r := range batch {
			records = append(records, *r)
		}
		sortUsage(records) // the same order every time, for stores' locks
		if err := u.store.AddUsage(ctx, records); err != nil {
			u.restore(batch, touched)
			return fmt.Errorf("auth: flush usage: %w", err)
		}
	}
	if len(touched) > 0 {
		if err := u.store.TouchKeys(ctx, touched); err != nil {
			u.restore(nil, touched)
			return fmt.Errorf("auth: flush usage: last used: %w", err)
		}
	}
	return nil
}

// restore puts back what a failed flush took, merged with what was
// recorded meanwhile.
func (u *UsageRecorder) restore(batch map[usageKey]*UsageRecord, touched map[string]time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, r := range batch {
		u.addLocked(r)
	}
	for id, t := range touched {
		if cur, ok := u.lastUsed[id]; !ok || t.After(cur) {
			u.lastUsed[id] = t
		}
	}
}

// Run flushes every interval (DefaultUsageFlushInterval when not positive)
// until ctx is done. A failed flush is logged and retried at the next
// tick. Run does not flush on its way out: Close does.
func (u *UsageRecorder) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultUsageFlushInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := u.Flush(ctx); err != nil && ctx.Err() == nil {
				u.log.Warn("auth: usage flush failed; counts kept for the next one", "err", err, "pending", u.pendingLen())
			}
		}
	}
}

// pendingLen is how many records wait for a flush.
func (u *UsageRecorder) pendingLen() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.pending)
}

// Close flushes what is pending. Call it after the server stopped
// serving: what is recorded later waits for another Flush.
func (u *UsageRecorder) Close(ctx context.Context) error {
	return u.Flush(ctx)
}

// Usage returns the usage that matches f, stored and pending together,
// ordered by day, key id and model. A bad filter is a *ValidationError.
func (u *UsageRecorder) Usage(ctx context.Context, f UsageFilter) ([]UsageRecord, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	stored, err := u.store.Usage(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("auth: usage: %w", err)
	}
	merged := make(map[usageKey]*UsageRecord, len(stored))
	for i := range stored {
		merged[stored[i].key()] = &stored[i]
	}
	u.mu.Lock()
	for k, r := range u.pending {
		if !f.matches(r) {
			continue
		}
		if m := merged[k]; m != nil {
			m.add(r)
		} else {
			c := *r
			merged[k] = &c
		}
	}
	u.mu.Unlock()
	out := make([]UsageRecord, 0, len(merged))
	for _, r := range merged {
		out = append(out, *r)
	}
	sortUsage(out)
	return out, nil
}

// TokensUsed is the prompt plus generated tokens of key keyID from the day
// fromDay (YYYY-MM-DD, UTC) on, stored and pending: what a quota limiter
// starts its daily or monthly counter from.
func (u *UsageRecorder) TokensUsed(ctx context.Context, keyID, fromDay string) (int64, error) {
	records, err := u.Usage(ctx, UsageFilter{KeyID: keyID, From: fromDay})
	if err != nil {
		return 0, err
	}
	var n int64
	for i := range records {
		n += records[i].Tokens()
	}
	return n, nil
}
