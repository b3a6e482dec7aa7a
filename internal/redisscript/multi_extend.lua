-- Move the expiry of one hold of a name that allows several (multi.lua), if it has not
-- expired (PROTOCOL.md, "Several holders").
-- KEYS[1] holders zset, KEYS[2] holders hash; ARGV[1] owner token, ARGV[2] TTL ms
-- Returns 1 when extended, 0 when the token holds none.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expiry or tonumber(expiry) <= now then
	return 0
end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
for i = 1, 2 do
	if redis.call('PTTL', KEYS[i]) < ttl then
		redis.call('PEXPIRE', KEYS[i], ttl)
	end
end
return 1
