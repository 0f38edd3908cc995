--[[
  accept-upload: accept one client's upload for round r, at most once per (round, client). Guards, in order:
  the round exists; a stored upload of the client makes a repeat with byte-identical pairs a 'duplicate' (whatever
  the status, so a retry after a lost reply learns that it counted; the header's step count and mean loss are not
  compared, as the API defines a duplicate) and other pairs DUPLICATE_SUBMISSION; the
  round is collecting and not past its deadline; the client is registered and selected.

  KEYS[1]  run hash
  KEYS[2]  round hash of r
  KEYS[3]  participants set of r
  KEYS[4]  uploads hash of r
  KEYS[5]  clients hash
  ARGV[1]  r
  ARGV[2]  clientId
  ARGV[3]  upload payload (binary, see codec.ts)
  ARGV[4]  nowMs: Unix epoch ms, or '' to use the Redis server clock
  ARGV[5]  notAfterMs: the last instant (same clock) at which the upload may be applied; its caller has failed
           after that, so a write that reaches Redis later (a server stalled, then resumed) changes nothing

  Returns
    {1, numUploads, numParticipants}  accepted
    {0, numUploads, numParticipants}  duplicate (nothing written)
    {-1}                              RUN_NOT_INITIALIZED
    {-7, version}                     ROUND_NOT_OPEN
    {-10}                             DUPLICATE_SUBMISSION
    {-8, why}                         ROUND_CLOSED: why is the status or 'deadline passed'
    {-4}                              UNKNOWN_CLIENT
    {-9}                              NOT_SELECTED
    {-17}                             WRITE_EXPIRED
]]
if now_ms(ARGV[4]) > tonumber(ARGV[5]) then return {-17} end

local round = redis.call('HMGET', KEYS[2], 'status', 'deadlineMs')
local status, deadline = round[1], round[2]
if not status then
  -- A round hash only exists in an initialized run: the run is read only on this refusal.
  local version = redis.call('HGET', KEYS[1], 'version')
  if not version then return {-1} end
  return {-7, version}
end

local stored = redis.call('HGET', KEYS[4], ARGV[2])
if stored then
  -- The payload's first 12 bytes are its header (codec.ts: numLocalSteps, meanLoss); the pairs follow.
  if string.sub(stored, 13) ~= string.sub(ARGV[3], 13) then return {-10} end
  return {0, redis.call('HLEN', KEYS[4]), redis.call('SCARD', KEYS[3])}
end

if status ~= 'collecting' then return {-8, status} end
if now_ms(ARGV[4]) > tonumber(deadline) then return {-8, 'deadline passed'} end
-- Participants are registered clients (open-round checks them), so registration is read only on a refusal.
if redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 0 then
  if redis.call('HEXISTS', KEYS[5], ARGV[2]) == 0 then return {-4} end
  return {-9}
end

redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
return {1, redis.call('HLEN', KEYS[4]), redis.call('SCARD', KEYS[3])}
