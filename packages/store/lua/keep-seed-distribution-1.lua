--[[
  keep-seed-distribution: keeps a round's seed distribution unless one is kept already (the first answer of a
  round stands), and returns the one kept. The hash holds at most ARGV[3] rounds: past that, the lowest round is
  deleted (so a round asked long after the others is answered, but not kept).

  KEYS[1]  seed distributions hash (round -> bytes, see codec.ts)
  ARGV[1]  round
  ARGV[2]  the distribution's bytes
  ARGV[3]  most rounds kept

  Returns
    {1, bytes}  the distribution kept for the round (ARGV[2] unless an earlier answer was kept)
]]
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
local kept = redis.call('HGET', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[3]) then
  local lowest
  for _, round in ipairs(redis.call('HKEYS', KEYS[1])) do
    local r = tonumber(round)
    if lowest == nil or r < lowest then lowest = r end
  end
  redis.call('HDEL', KEYS[1], tostring(lowest))
end
return {1, kept}
