--[[
  Records one organisation's vote on an approval request, atomically.

  KEYS[1]  the request hash   (fields: state, expiresAt, needed, ...)
  KEYS[2]  the votes hash     (org -> JSON {user, decision, at})
  KEYS[3]  approved requests whose job is not queued yet (sorted set: id by time)
  KEYS[4]  approvals whose per-org follow-up job is not queued yet (sorted set: "id|org" by time)
  ARGV[1]  org
  ARGV[2]  Slack user id of the voter
  ARGV[3]  'approve' | 'reject'
  ARGV[4]  now, epoch milliseconds
  ARGV[5]  '1' when an org's approval has a follow-up of its own (chaincode: approveformyorg)
  ARGV[6]  the request id

  The deciding vote and the record that its job is owed are one atomic step: whatever happens to
  the process that cast it, a sweeper finds the request in KEYS[3] and queues the job.

  Returns { outcome, state }:
    'missing'    no such request
    'closed'     the request was already approved, rejected or expired (state tells which)
    'expired'    it expired just now; state becomes 'expired'
    'duplicate'  this org has already voted; nothing changes
    'duplicate-person'  this person has already voted (for some org); nothing changes
    'rejected'   this vote rejected it; state becomes 'rejected'
    'approved'   this vote met the rule; state becomes 'approved' (returned to exactly one caller)
    'recorded'   counted; the rule is not met yet
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return { 'missing', '' } end
if state ~= 'open' then return { 'closed', state } end
local now = tonumber(ARGV[4])
if now > tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then
  redis.call('HSET', KEYS[1], 'state', 'expired', 'closedAt', ARGV[4])
  return { 'expired', 'expired' }
end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return { 'duplicate', state } end
local cast = redis.call('HVALS', KEYS[2])
for _, raw in ipairs(cast) do
  if cjson.decode(raw).user == ARGV[2] then return { 'duplicate-person', state } end
end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({ user = ARGV[2], decision = ARGV[3], at = now }))
if ARGV[3] == 'reject' then
  redis.call('HSET', KEYS[1], 'state', 'rejected', 'closedAt', ARGV[4])
  return { 'rejected', 'rejected' }
end
if ARGV[5] == '1' then redis.call('ZADD', KEYS[4], now, ARGV[6] .. '|' .. ARGV[1]) end
-- When the request's orgs were narrowed after it was made (to those a channel policy counts, before
-- anyone voted), only their votes count.
local counted = nil
local narrowed = redis.call('HGET', KEYS[1], 'orgs')
if narrowed then
  counted = {}
  for _, org in ipairs(cjson.decode(narrowed)) do counted[org] = true end
end
local approvals = 0
local votes = redis.call('HGETALL', KEYS[2])
for i = 1, #votes, 2 do
  if cjson.decode(votes[i + 1]).decision == 'approve' and (counted == nil or counted[votes[i]]) then approvals = approvals + 1 end
end
if approvals >= tonumber(redis.call('HGET', KEYS[1], 'needed')) then
  redis.call('HSET', KEYS[1], 'state', 'approved', 'closedAt', ARGV[4])
  redis.call('ZADD', KEYS[3], now, ARGV[6])
  return { 'approved', 'approved' }
end
return { 'recorded', state }
