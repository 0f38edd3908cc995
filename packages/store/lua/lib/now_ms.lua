-- now_ms(arg): the time of the transition in Unix epoch ms: arg when the caller gives one (an injected clock),
-- else the Redis server clock. Added by lua-scripts.ts after the header of every script that calls it.
local function now_ms(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
