--[[
  open-round: open round r for uploads. Guards: r is the current version (so rounds open in order, one at a
  time: round r exists only between openRound(r) and forever after), r was never opened, and every
  participant is registered. In the same step round r - 2 (PRUNE_LAG in round-store.ts; closed, since rounds
  open in order) gives up its participants and uploads: their counts and the time go into its hash.

  KEYS[1]  run hash
  KEYS[2]  round hash of r
  KEYS[3]  participants set of r
  KEYS[4]  clients hash
  KEYS[5]  round hash of r - 2 (absent when r < 2)
  KEYS[6]  participants set of r - 2
  KEYS[7]  uploads hash of r - 2
  ARGV[1]  r
  ARGV[2]  nowMs: Unix epoch ms, or '' to use the Redis server clock
  ARGV[3]  deadlineMs (Unix epoch ms)
  ARGV[4]  samplingSeed (decimal uint64)
  ARGV[5]  probabilities: K float64 LE, or '' for none
  ARGV[6..] participant client ids (distinct)

  Returns
    {1, openedAtMs}    opened, status 'collecting'
    {-1}               RUN_NOT_INITIALIZED
    {-5, version}      STALE_VERSION: r is not the current version
    {-6}               ROUND_ALREADY_OPEN
    {-4, clientId}     UNKNOWN_CLIENT: a participant is not registered
]]
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return {-1} end
if tonumber(version) ~= tonumber(ARGV[1]) then return {-5, version} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {-6} end
for i = 6, #ARGV do
  if redis.call('HEXISTS', KEYS[4], ARGV[i]) == 0 then return {-4, ARGV[i]} end
end

local opened = string.format('%d', now_ms(ARGV[2]))
redis.call('HSET', KEYS[2], 'status', 'collecting', 'deadlineMs', ARGV[3], 'samplingSeed', ARGV[4],
  'openedAtMs', opened)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'probabilities', ARGV[5]) end
-- SADD in chunks: unpack() of thousands of ids would overflow the Lua C stack.
local chunk = 1000
for i = 6, #ARGV, chunk do
  redis.call('SADD', KEYS[3], unpack(ARGV, i, math.min(i + chunk - 1, #ARGV)))
end
if redis.call('EXISTS', KEYS[5]) == 1 and not redis.call('HGET', KEYS[5], 'prunedAtMs') then
  redis.call('HSET', KEYS[5], 'prunedAtMs', opened, 'prunedNumParticipants', redis.call('SCARD', KEYS[6]),
    'prunedNumUploads', redis.call('HLEN', KEYS[7]))
  redis.call('DEL', KEYS[6], KEYS[7])
end
return {1, opened}
