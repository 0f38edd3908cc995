--[[
  register-client: add a client to the registry; registrations are immutable. A new client is refused once the
  registry holds its most clients (ARGV[7]); with a join secret, it is counted against it, and refused once that
  secret has admitted its most clients; a repeat is neither refused nor counted again.

  KEYS[1]  run hash
  KEYS[2]  clients hash
  KEYS[3]  join-secret registrations hash (join secret name -> clients it admitted)
  ARGV[1]  clientId
  ARGV[2]  canonical client record JSON
  ARGV[3]  name of the join secret that admits the client, or '' for none
  ARGV[4]  most clients that join secret admits (ignored without one)
  ARGV[5]  nowMs: Unix epoch ms, or '' to use the Redis server clock
  ARGV[6]  notAfterMs: the last instant (same clock) at which the registration may be applied; its caller has
           failed after that, so a registration that reaches Redis later (a server stalled, then resumed) writes
           nothing
  ARGV[7]  most clients the registry holds, or '' for no bound

  Returns
    {1}                registered
    {0}                already registered with the same record (nothing written, nothing counted)
    {-1}               RUN_NOT_INITIALIZED
    {-3, storedRecord} CLIENT_CONFLICT: registered with a different record
    {-18, admitted}    REGISTRATION_LIMIT: the join secret has admitted ARGV[4] clients already
    {-19, clients}     CLIENT_LIMIT: the registry holds ARGV[7] clients already
    {-17}              WRITE_EXPIRED
]]
if now_ms(ARGV[5]) > tonumber(ARGV[6]) then return {-17} end
if redis.call('HEXISTS', KEYS[1], 'config') == 0 then return {-1} end

local stored = redis.call('HGET', KEYS[2], ARGV[1])
if stored then
  if stored ~= ARGV[2] then return {-3, stored} end
  return {0}
end

if ARGV[7] ~= '' then
  local clients = redis.call('HLEN', KEYS[2])
  if clients >= tonumber(ARGV[7]) then return {-19, clients} end
end

if ARGV[3] ~= '' then
  local admitted = tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '0')
  if admitted >= tonumber(ARGV[4]) then return {-18, admitted} end
  redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {1}
