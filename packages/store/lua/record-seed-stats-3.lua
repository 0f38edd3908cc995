--[[
  record-seed-stats: store the FedKSeed-Pro statistics after adding round r's scalars, once per round. The
  new sums and counts are computed in TypeScript from the revision `expectedRev` it read; the write happens
  only if that is still the stored revision (compare-and-set), so two writers never lose each other's
  rounds and no round is counted twice. A CONCURRENT_UPDATE reply means: read again and retry.

  KEYS[1]  run hash
  KEYS[2]  seed-stats hash
  KEYS[3]  seed-stats rounds set
  ARGV[1]  r
  ARGV[2]  expectedRev: the revision the new values were computed from ('0' before any round)
  ARGV[3]  sums: K float64 LE
  ARGV[4]  counts: K float64 LE
  ARGV[5]  lastRound after this round

  Returns
    {1, rev}      recorded; rev = expectedRev + 1
    {0}           r was already recorded (nothing written)
    {-1}          RUN_NOT_INITIALIZED
    {-15, rev}    CONCURRENT_UPDATE: the stored revision is rev
]]
if redis.call('HEXISTS', KEYS[1], 'config') == 0 then return {-1} end
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return {0} end
local rev = redis.call('HGET', KEYS[2], 'rev') or '0'
if rev ~= ARGV[2] then return {-15, rev} end

local next_rev = string.format('%d', tonumber(rev) + 1)
redis.call('HSET', KEYS[2], 'rev', next_rev, 'sums', ARGV[3], 'counts', ARGV[4], 'lastRound', ARGV[5])
redis.call('SADD', KEYS[3], ARGV[1])
return {1, next_rev}
