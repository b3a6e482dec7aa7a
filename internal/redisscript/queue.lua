-- The hooks of acquire.lua for a waiter that asks to be granted the lock by its release
-- (grant.lua). The waiters of a lock queue in a list of tokens (KEYS[3]); a hash (KEYS[4])
-- maps each token to "<expiry ms, server clock> <try number> <grant TTL ms>". An entry
-- lives ARGV[4] ms after the try that last wrote it, so a waiter that dies is soon skipped;
-- both keys expire with their longest-lived entry.
-- ARGV[4] entry life in ms (0: try without waiting in the queue), ARGV[5] try number,
-- ARGV[6] the TTL the key gets when the lock is granted, in ms
local function taken(token)
	if redis.call('HDEL', KEYS[4], token) == 1 then
		redis.call('LREM', KEYS[3], 1, token)
	end
end
local function waiting(token)
	local life = tonumber(ARGV[4])
	if life <= 0 then
		return
	end
	local t = redis.call('TIME')
	local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + life
	local entry = string.format('%d', expiry) .. ' ' .. ARGV[5] .. ' ' .. ARGV[6]
	if redis.call('HSET', KEYS[4], token, entry) == 1 then
		redis.call('RPUSH', KEYS[3], token)
	end
	for i = 3, 4 do -- never shorten the life of other waiters' entries
		if redis.call('PTTL', KEYS[i]) < life then
			redis.call('PEXPIRE', KEYS[i], life)
		end
	end
end
