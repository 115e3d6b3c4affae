--[[
  Records one organisation's vote on an approval request, atomically.

  KEYS[1]  the request hash   (fields: state, expiresAt, needed, ...)
  KEYS[2]  the votes hash     (org -> JSON {user, decision, at})
  ARGV[1]  org
  ARGV[2]  Slack user id of the voter
  ARGV[3]  'approve' | 'reject'
  ARGV[4]  now, epoch milliseconds

  Returns { outcome, state }:
    'missing'    no such request
    'closed'     the request was already approved, rejected or expired (state tells which)
    'expired'    it expired just now; state becomes 'expired'
    'duplicate'  this org has already voted; nothing changes
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
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({ user = ARGV[2], decision = ARGV[3], at = now }))
if ARGV[3] == 'reject' then
  redis.call('HSET', KEYS[1], 'state', 'rejected', 'closedAt', ARGV[4])
  return { 'rejected', 'rejected' }
end
local approvals = 0
for _, raw in ipairs(redis.call('HVALS', KEYS[2])) do
  if cjson.decode(raw).decision == 'approve' then approvals = approvals + 1 end
end
if approvals >= tonumber(redis.call('HGET', KEYS[1], 'needed')) then
  redis.call('HSET', KEYS[1], 'state', 'approved', 'closedAt', ARGV[4])
  return { 'approved', 'approved' }
end
return { 'recorded', state }
