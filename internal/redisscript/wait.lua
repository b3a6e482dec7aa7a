-- Take the lock if it is free, as acquire.lua does, for a waiter that otherwise queues to
-- be granted the lock by its holder's release (grant.lua; PROTOCOL.md, "Scripts", "Server grant").
-- Prepended: fence.lua (server_us, next_fence), busy.lua (busy). The key holds "<owner token> <fence>". The waiters
-- of a lock queue in a list of tokens (KEYS[3]); a hash (KEYS[4]) maps each token to
-- "<expiry ms, server clock> <try number> <grant TTL ms>". An entry lives ARGV[4] ms
-- after the try that last wrote it, so a waiter that dies is soon skipped; both keys
-- expire with their longest-lived entry.
-- KEYS[1] lock key, KEYS[2] fence counter, KEYS[3] queue list, KEYS[4] queue hash,
-- KEYS[5] holders zset, KEYS[6] holders hash (the several-holders layout: live holds there
-- count as a held key, and the waiter queues)
-- ARGV[1] owner token, ARGV[2] TTL in ms, ARGV[3] the caller's last fence (0: none),
-- ARGV[4] entry life in ms (0: try without queueing), ARGV[5] try number, ARGV[6] the TTL
-- the key gets when the lock is granted, in ms
-- Returns what acquire.lua returns; taking the lock also takes the token out of the queue.
local function leave_queue()
	if redis.call('HDEL', KEYS[4], ARGV[1]) == 1 then
		redis.call('LREM', KEYS[3], 1, ARGV[1])
	end
end
local held = redis.call('GET', KEYS[1])
local us = server_us()
local wait, n = nil, 0
if not held then
	wait, n = busy(KEYS[5], KEYS[6], us)
	if wait and n > 0 then
		return {-1, n}
	end
end
if not held and not wait then
	local fence, now = next_fence(KEYS[2], ARGV[3], us)
	redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. string.format('%d', fence), 'PX', ARGV[2])
	leave_queue()
	return {1, fence, now}
end
local mine = ARGV[1] .. ' '
if held and string.sub(held, 1, #mine) == mine then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	leave_queue()
	return {1, tonumber(string.sub(held, #mine + 1)), us}
end
local pttl = wait or redis.call('PTTL', KEYS[1])
local life = tonumber(ARGV[4])
if life > 0 then
	local expiry = math.floor(us / 1000) + life
	local entry = string.format('%d', expiry) .. ' ' .. ARGV[5] .. ' ' .. ARGV[6]
	if redis.call('HSET', KEYS[4], ARGV[1], entry) == 1 then
		redis.call('RPUSH', KEYS[3], ARGV[1])
	end
	for i = 3, 4 do -- never shorten the life of other waiters' entries
		if redis.call('PTTL', KEYS[i]) < life then
			redis.call('PEXPIRE', KEYS[i], life)
		end
	end
end
return {0, pttl, string.match(held or '', '^[^ ]*')}
