--[[
  begin-close: stop uploads to round r and lease its closing to one closer. From 'collecting' the round
  moves to 'closing' (acceptUpload refuses from then on, so the set of uploads is final); in 'closing' the
  holder renews, and another closer takes over only once the lease has expired (now >= leaseExpiresAtMs).

  KEYS[1]  run hash
  KEYS[2]  round hash of r
  ARGV[1]  r
  ARGV[2]  closerId
  ARGV[3]  leaseMs (> 0)
  ARGV[4]  nowMs: Unix epoch ms, or '' to use the Redis server clock

  Returns
    {1, leaseExpiresAtMs}         acquired (collecting -> closing)
    {2, leaseExpiresAtMs}         renewed by the holder
    {3, leaseExpiresAtMs}         taken over from a closer whose lease expired
    {-1}                          RUN_NOT_INITIALIZED
    {-13, version}                ALREADY_CLOSED
    {-7, version}                 ROUND_NOT_OPEN
    {-11, holder, leaseExpiresAtMs}  LEASE_HELD by another live closer
]]
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return {-1} end
local round = redis.call('HMGET', KEYS[2], 'status', 'closerId', 'leaseExpiresAtMs')
local status, holder, expires = round[1], round[2], round[3]
if status == 'closed' or (not status and tonumber(ARGV[1]) < tonumber(version)) then return {-13, version} end
if not status then return {-7, version} end

local now = now_ms(ARGV[4])
local code
if status == 'collecting' then
  code = 1
elseif holder == ARGV[2] then
  code = 2
elseif now >= tonumber(expires) then
  code = 3
else
  return {-11, holder, expires}
end

local until_ms = string.format('%d', now + tonumber(ARGV[3]))
redis.call('HSET', KEYS[2], 'status', 'closing', 'closerId', ARGV[2], 'leaseExpiresAtMs', until_ms)
return {code, until_ms}
