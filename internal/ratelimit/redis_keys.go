package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// DefaultRedisPrefix is RedisOptions.Prefix when left empty; it shares the
// "hfserve:v1:" namespace of the response cache.
const DefaultRedisPrefix = "hfserve:v1:rl:"

// redisKeys are the Redis keys of one key's state in one period.
type redisKeys struct {
	requests, tokens, inFlight, day, month string
}

// keysFor names key's state. Every name carries the same hash tag, so a
// Redis Cluster keeps them in one slot, as a script touching them all
// needs. A key that is empty, contains a brace or starts with '#' (which
// could break or forge the tag) is tagged by its hash instead.
func keysFor(prefix, key string, p periods) redisKeys {
	tag := key
	if key == "" || strings.ContainsAny(key, "{}") || strings.HasPrefix(key, "#") {
		sum := sha256.Sum256([]byte(key))
		tag = "#" + hex.EncodeToString(sum[:16])
	}
	base := prefix + "{" + tag + "}:"
	return redisKeys{
		requests: base + "rpm",
		tokens:   base + "tpm",
		inFlight: base + "inflight",
		day:      base + "day:" + p.dayStart.Format("2006-01-02"),
		month:    base + "month:" + p.monthStart.Format("2006-01"),
	}
}
