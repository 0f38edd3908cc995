--[[
  commit-close: the one step that advances A. Writes the new A and round r's delta, closes r and sets the
  version to r + 1, only if r is closing, leased to this closer (an expired lease that nobody took over still
  counts: nothing else can have happened to the round) and r is the current version. Everything is checked
  before anything is written, so a refused commit changes nothing; a second commit finds r closed.

  KEYS[1]  run hash
  KEYS[2]  round hash of r
  KEYS[3]  accumulated string
  KEYS[4]  deltas hash
  ARGV[1]  r
  ARGV[2]  closerId
  ARGV[3]  new A: K float64 LE
  ARGV[4]  delta of r (binary, see codec.ts)
  ARGV[5]  nowMs: Unix epoch ms, or '' to use the Redis server clock

  Returns
    {1, version}      committed; version = r + 1
    {-1}              RUN_NOT_INITIALIZED
    {-13, version}    ALREADY_CLOSED
    {-7, version}     ROUND_NOT_OPEN
    {-14}             ROUND_NOT_CLOSING (still collecting)
    {-12, holder}     LEASE_LOST: another closer holds the round
    {-5, version}     STALE_VERSION
    {-16, why}        INVALID_ARGUMENT: A has the wrong length
]]
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return {-1} end
local round = redis.call('HMGET', KEYS[2], 'status', 'closerId')
local status, holder = round[1], round[2]
if status == 'closed' or (not status and tonumber(ARGV[1]) < tonumber(version)) then return {-13, version} end
if not status then return {-7, version} end
if status ~= 'closing' then return {-14} end
if holder ~= ARGV[2] then return {-12, holder} end
if tonumber(version) ~= tonumber(ARGV[1]) then return {-5, version} end
if string.len(ARGV[3]) ~= redis.call('STRLEN', KEYS[3]) then return {-16, 'accumulated has the wrong length'} end

local next_version = string.format('%d', tonumber(ARGV[1]) + 1)
redis.call('SET', KEYS[3], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[2], 'status', 'closed', 'closedAtMs', string.format('%d', now_ms(ARGV[5])))
redis.call('HSET', KEYS[1], 'version', next_version)
return {1, next_version}
