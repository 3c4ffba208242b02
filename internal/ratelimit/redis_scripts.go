package ratelimit

// luaBucket is shared by both scripts: the bucket arithmetic of bucket.go,
// in Lua. Levels are integers in units of 1/60000 (see bucket.go), exact in
// Lua's doubles; a bucket's hash expires a minute after it would be full,
// so an absent bucket is a full one.
const luaBucket = `
local unit = 60000
local function int(x) return string.format('%.0f', x) end
local function refilled(key, limit, now)
  local full = limit * unit
  local v = redis.call('HMGET', key, 'level', 'ms')
  local level, last = tonumber(v[1]), tonumber(v[2])
  if level == nil or last == nil then return full, now end
  if now > last then
    level = math.min(full, level + (now - last) * limit)
    last = now
  end
  return math.min(level, full), last
end
local function store(key, limit, level, last)
  redis.call('HSET', key, 'level', int(level), 'ms', int(last))
  redis.call('PEXPIRE', key, int(math.ceil((limit * unit - level) / limit) + 60000))
end
`

// admitLua checks every limit and, only when all pass, takes from each,
// atomically.
//
// KEYS: 1 requests bucket, 2 tokens bucket, 3 in-flight set, 4 day counter,
// 5 month counter.
// ARGV: 1 now (Unix ms), 2 rpm, 3 tpm, 4 max concurrent, 5 daily quota,
// 6 monthly quota, 7 estimate, 8 ticket id, 9 slot lifetime (ms),
// 10 "1" when absent quota counters are to be seeded, 11 lowest level.
//
// Returns {status, bits, requests level, tokens level}: status 1 admitted,
// 0 refused (bits: the fail* bits), -1 nothing decided because quota
// counters must be seeded first (bits: 1 day, 2 month).
const admitLua = luaBucket + `
local now = tonumber(ARGV[1])
local rpm, tpm, maxc = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local daily, monthly = tonumber(ARGV[5]), tonumber(ARGV[6])
local estimate, slot_ms = tonumber(ARGV[7]), tonumber(ARGV[9])
local seeding, lowest = ARGV[10] == '1', tonumber(ARGV[11])

local day_used, month_used, missing = 0, 0, 0
if daily > 0 then
  local v = redis.call('GET', KEYS[4])
  if v then day_used = tonumber(v) elseif seeding then missing = missing + 1 end
end
if monthly > 0 then
  local v = redis.call('GET', KEYS[5])
  if v then month_used = tonumber(v) elseif seeding then missing = missing + 2 end
end
if missing > 0 then return {-1, missing, 0, 0} end

local req, req_ms, tok, tok_ms, in_flight = 0, now, 0, now, 0
if rpm > 0 then req, req_ms = refilled(KEYS[1], rpm, now) end
if tpm > 0 then tok, tok_ms = refilled(KEYS[2], tpm, now) end
if maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', int(now))
  in_flight = redis.call('ZCARD', KEYS[3])
end

local fail = 0
if rpm > 0 and req < unit then fail = fail + 1 end
if tpm > 0 and tok < unit then fail = fail + 2 end
if maxc > 0 and in_flight >= maxc then fail = fail + 4 end
if daily > 0 and day_used >= daily then fail = fail + 8 end
if monthly > 0 and month_used >= monthly then fail = fail + 16 end
if fail > 0 then return {0, fail, req, tok} end

if rpm > 0 then
  req = math.max(req - unit, lowest)
  store(KEYS[1], rpm, req, req_ms)
end
if tpm > 0 then
  tok = math.max(tok - estimate * unit, lowest)
  store(KEYS[2], tpm, tok, tok_ms)
end
if maxc > 0 then
  redis.call('ZADD', KEYS[3], int(now + slot_ms), ARGV[8])
  redis.call('PEXPIRE', KEYS[3], int(slot_ms))
end
return {1, 0, req, tok}
`

// doneLua releases a ticket: frees its slot, charges the tokens bucket
// actual-estimate and adds actual to the quota counters.
//
// KEYS: 1 tokens bucket, 2 in-flight set, 3 day counter, 4 month counter.
// ARGV: 1 now (Unix ms), 2 tpm, 3 estimate, 4 actual, 5 ticket id ("" when
// it holds no slot), 6 "1" to count only into counters that exist (absent
// ones are seeded later, from a store that counts this request too),
// 7 day counter lifetime (ms; 0 when no daily quota), 8 month counter
// lifetime (ms; 0 when none), 9 lowest level.
const doneLua = luaBucket + `
local now, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
local estimate, actual = tonumber(ARGV[3]), tonumber(ARGV[4])
local existing_only, lowest = ARGV[6] == '1', tonumber(ARGV[9])

if ARGV[5] ~= '' then redis.call('ZREM', KEYS[2], ARGV[5]) end
if tpm > 0 and actual ~= estimate then
  local level, last = refilled(KEYS[1], tpm, now)
  level = math.min(math.max(level - (actual - estimate) * unit, lowest), tpm * unit)
  store(KEYS[1], tpm, level, last)
end
local function count(key, ttl)
  if ttl <= 0 then return end
  if existing_only and redis.call('EXISTS', key) == 0 then return end
  redis.call('INCRBY', key, int(actual))
  redis.call('PEXPIRE', key, int(ttl))
end
if actual > 0 then
  count(KEYS[3], tonumber(ARGV[7]))
  count(KEYS[4], tonumber(ARGV[8]))
end
return 1
`
