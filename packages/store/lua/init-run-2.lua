--[[
  init-run: store a run's configuration and an all-zero A, exactly once.

  KEYS[1]  run hash
  KEYS[2]  accumulated string
  ARGV[1]  config: canonical JSON of the resolved run config
  ARGV[2]  nowMs: Unix epoch ms, or '' to use the Redis server clock
  ARGV[3]  byte length of A (8 * K)

  Returns
    {1, createdAtMs}    created
    {0, createdAtMs}    the same config was already stored (nothing written)
    {-2, storedConfig}  RUN_CONFIG_MISMATCH
]]
local stored = redis.call('HGET', KEYS[1], 'config')
if stored then
  if stored ~= ARGV[1] then return {-2, stored} end
  return {0, redis.call('HGET', KEYS[1], 'createdAtMs')}
end

local created = string.format('%d', now_ms(ARGV[2]))
redis.call('HSET', KEYS[1], 'config', ARGV[1], 'createdAtMs', created, 'version', '0')
redis.call('SET', KEYS[2], string.rep('\0', tonumber(ARGV[3])))
return {1, created}
