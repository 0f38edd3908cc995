--[[
  round-status: a round's head fields and counts in one consistent read (reads only). One command, so that the
  read travels with whatever else the connection sends at the same time.

  KEYS[1]  round hash
  KEYS[2]  the round's uploads hash
  KEYS[3]  the round's participants set
  ARGV[1..]  the round hash's fields to read, 'status' first

  Returns
    {0}                                       the round was never opened (no status)
    {1, field values..., numUploads, numParticipants}
                                              ARGV's fields (false where absent), HLEN of the uploads, SCARD of
                                              the participants
]]
local head = redis.call('HMGET', KEYS[1], unpack(ARGV))
if not head[1] then return {0} end
head[#ARGV + 1] = redis.call('HLEN', KEYS[2])
head[#ARGV + 2] = redis.call('SCARD', KEYS[3])
table.insert(head, 1, 1)
return head
