--[[
  register-client: add a client to the registry; registrations are immutable.

  KEYS[1]  run hash
  KEYS[2]  clients hash
  ARGV[1]  clientId
  ARGV[2]  canonical client record JSON

  Returns
    {1}                registered
    {0}                already registered with the same record (nothing written)
    {-1}               RUN_NOT_INITIALIZED
    {-3, storedRecord} CLIENT_CONFLICT: registered with a different record
]]
if redis.call('HEXISTS', KEYS[1], 'config') == 0 then return {-1} end

local stored = redis.call('HGET', KEYS[2], ARGV[1])
if stored then
  if stored ~= ARGV[2] then return {-3, stored} end
  return {0}
end

redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {1}
