package auth

import "github.com/redis/go-redis/v9"

// Status codes the scripts answer instead of a key's fields.
const (
	redisNotFound  = 0
	redisRevoked   = -1
	redisDuplicate = -2
)

// redisScripts are the Lua scripts of a RedisStore. Each runs atomically on
// the server, so that replicas never interleave inside a read-check-write.
type redisScripts struct {
	create, byHash, revoke, rotate, touch *redis.Script
}

func newRedisScripts() *redisScripts {
	return &redisScripts{
		// KEYS: key hash, hash index, key list. ARGV: id, secret hash,
		// list score, then the key's fields and values.
		create: redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
	return -2
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1`),
		// KEYS: hash index. ARGV: secret hash, prefix of key hashes (the
		// key hash shares the index's hash tag, so Cluster allows it).
		byHash: redis.NewScript(`
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then
	return 0
end
return redis.call('HGETALL', ARGV[2] .. id)`),
		// KEYS: key hash. ARGV: revocation time.
		revoke: redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
	return 0
end
if not redis.call('HGET', KEYS[1], 'revoked_at') then
	redis.call('HSET', KEYS[1], 'revoked_at', ARGV[1])
end
return redis.call('HGETALL', KEYS[1])`),
		// KEYS: key hash, hash index. ARGV: id, new hash, new prefix, time.
		rotate: redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
	return 0
end
if redis.call('HGET', KEYS[1], 'revoked_at') then
	return -1
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
	return -2
end
local old = redis.call('HGET', KEYS[1], 'hash')
if old then
	redis.call('HDEL', KEYS[2], old)
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], 'hash', ARGV[2], 'prefix', ARGV[3], 'rotated_at', ARGV[4])
return redis.call('HGETALL', KEYS[1])`),
		// KEYS: key hashes. ARGV: their last-used times, decimal nanoseconds
		// (compared as strings: by length, then digits, since Lua's doubles
		// cannot hold them exactly).
		touch: redis.NewScript(`
for i, k in ipairs(KEYS) do
	if redis.call('EXISTS', k) == 1 then
		local cur = redis.call('HGET', k, 'last_used_at')
		local new = ARGV[i]
		if not cur or #cur < #new or (#cur == #new and cur < new) then
			redis.call('HSET', k, 'last_used_at', new)
		end
	end
end
return 1`),
	}
}
