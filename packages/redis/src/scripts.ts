/**
 * The bus's Lua scripts: each runs atomically in Redis, so that two processes appending or joining at once always
 * agree on the log. Keys: the log's epoch (a string), its last sequence number (a counter) and the log (a stream whose
 * entries have the ids `0-<seq>`, fields `e` event, `d` data, `t` append time in ms).
 */

/**
 * KEYS epoch, seq, log; ARGV new epoch, max length, event, data, time. Appends one entry and returns `{epoch, seq}`.
 * A log without an epoch (a Redis that restarted empty) starts anew under the new one.
 */
export const APPEND = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('SET', KEYS[1], epoch)
end
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[2], '0-' .. seq, 'e', ARGV[3], 'd', ARGV[4], 't', ARGV[5])
return {epoch, seq}
`

/**
 * KEYS epoch, seq, log; ARGV new epoch, known epoch, delivered seq, count. Returns `{epoch, seq, newest entries}`.
 * Starts the log anew when it has no epoch, or when it is behind what this process delivered of the same epoch (a
 * Redis restored from an older snapshot would otherwise hand out ids again).
 */
export const SYNC = `
local epoch = redis.call('GET', KEYS[1])
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
if not epoch or (epoch == ARGV[2] and seq < tonumber(ARGV[3])) then
  epoch = ARGV[1]
  seq = 0
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('SET', KEYS[1], epoch)
end
local newest = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', ARGV[4])
local entries = {}
for i = #newest, 1, -1 do
  entries[#entries + 1] = newest[i]
end
return {epoch, seq, entries}
`

/**
 * KEYS epoch, seq, log; ARGV epoch, seq. The entries after `<epoch>-<seq>`, oldest first, or nil when the log no
 * longer holds (or never held) that id: another epoch, a seq ahead of the log, or entries trimmed since.
 */
export const SINCE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return nil
end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local after = tonumber(ARGV[2])
if after > last then
  return nil
end
local entries = redis.call('XRANGE', KEYS[3], '(0-' .. after, '+')
if after < last and (#entries == 0 or entries[1][1] ~= '0-' .. (after + 1)) then
  return nil
end
return entries
`

/**
 * KEYS versions (a hash: key -> "<mtime> <digest>"); ARGV key, mtime, digest, ... Records every version that is new
 * (a later mtime, or the same mtime with another digest) and returns the keys of those.
 */
export const CLAIM = `
local won = {}
for i = 1, #ARGV, 3 do
  local recorded = redis.call('HGET', KEYS[1], ARGV[i])
  local newer = true
  if recorded then
    local space = string.find(recorded, ' ', 1, true)
    local mtime, known = tonumber(string.sub(recorded, 1, space - 1)), string.sub(recorded, space + 1)
    local version = tonumber(ARGV[i + 1])
    newer = version > mtime or (version == mtime and ARGV[i + 2] ~= known)
  end
  if newer then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ' ' .. ARGV[i + 2])
    won[#won + 1] = ARGV[i]
  end
end
return won
`
