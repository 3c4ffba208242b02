package ratelimit

import (
	"math"
	"time"
)

// Buckets keep their level in units of 1/60000 of a request or token: a
// bucket of capacity c (per minute) then refills exactly c units per
// millisecond, so every quantity is an integer and Local (int64) and the
// Redis script (Lua doubles, exact below 2^53 and MaxLimit keeps us far
// below) compute the same levels bit for bit.
const (
	unitsPerToken = 60_000 // milliseconds per minute
	// levelFloor bounds how far below empty a bucket can be driven.
	levelFloor = -MaxLimit * unitsPerToken
)

// bucket is a token bucket's stored state. The zero value is a bucket never
// seen, which is full.
type bucket struct {
	level  int64 // in units; may be negative (tokens bucket)
	lastMs int64 // the millisecond level was computed for
	known  bool
}

// refilled returns the bucket's level and timestamp at nowMs for capacity
// limit (per minute). A clock that went backwards refills nothing and keeps
// the later timestamp. A level above a lowered capacity is cut to it.
func (b bucket) refilled(limit, nowMs int64) (level, lastMs int64) {
	full := limit * unitsPerToken
	if !b.known {
		return full, nowMs
	}
	level, lastMs = b.level, b.lastMs
	if nowMs > lastMs {
		elapsed := nowMs - lastMs
		// Compare before multiplying: elapsed*limit can overflow after a
		// long idle time.
		if level >= full || elapsed >= ceilDiv(full-level, limit) {
			level = full
		} else {
			level += elapsed * limit
		}
		lastMs = nowMs
	}
	return min(level, full), lastMs
}

// clampLevel keeps a level within [levelFloor, full].
func clampLevel(level, limit int64) int64 {
	return min(max(level, levelFloor), limit*unitsPerToken)
}

// window reports a bucket of capacity limit at level; unset when limit is 0.
func window(limit, level int64) Window {
	if limit <= 0 {
		return Window{}
	}
	full := limit * unitsPerToken
	return Window{
		Limit:     limit,
		Remaining: max(level, 0) / unitsPerToken,
		Reset:     millis(ceilDiv(max(full-level, 0), limit)),
		Set:       true,
	}
}

// waitForOne is the time until a bucket of capacity limit at level holds one
// whole request or token.
func waitForOne(limit, level int64) time.Duration {
	if level >= unitsPerToken {
		return 0
	}
	return millis(ceilDiv(unitsPerToken-level, limit))
}

// millis converts milliseconds to a Duration, saturating instead of
// overflowing (a bucket deep below empty at a tiny limit waits for ages).
func millis(ms int64) time.Duration {
	const most = math.MaxInt64 / int64(time.Millisecond)
	return time.Duration(min(ms, most)) * time.Millisecond
}

// ceilDiv is a/b rounded up, for a >= 0 and b > 0.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
