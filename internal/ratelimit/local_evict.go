package ratelimit

// sweep evicts idle keys (see LocalOptions.MaxKeys) under l.mu. When too
// few were idle, the map may grow by an eighth before the next sweep, so a
// busy limiter does not scan every key on every new one.
func (l *Local) sweep(nowMs int64) {
	for key, k := range l.keys {
		if k.idle(nowMs, l.seed != nil) {
			delete(l.keys, key)
		}
	}
	l.sweepAt = max(l.maxKeys, len(l.keys)+l.maxKeys/8+1)
}

// idle reports whether forgetting k changes no decision: nothing in flight,
// full buckets, and quota counters that a Seed can restore (or that are
// zero).
func (k *localKey) idle(nowMs int64, seeded bool) bool {
	if k.inFlight > 0 {
		return false
	}
	if k.lim.RPM > 0 {
		if level, _ := k.requests.refilled(k.lim.RPM, nowMs); level < k.lim.RPM*unitsPerToken {
			return false
		}
	}
	if k.lim.TPM > 0 {
		if level, _ := k.tokens.refilled(k.lim.TPM, nowMs); level < k.lim.TPM*unitsPerToken {
			return false
		}
	}
	return seeded || (k.day.used == 0 && k.month.used == 0)
}
