-- Read who holds a lock and who waits for it on the server, changing nothing (PROTOCOL.md,
-- "Scripts", "Inspect"). The key holds "<owner token> <fence>"; the queue hash (wait.lua)
-- maps each waiter's token to "<expiry ms, server clock> <try number> <grant TTL ms>"; the
-- holders set and hash (multi.lua) the holds of a name that allows several.
-- KEYS[1] lock key, KEYS[2] queue hash, KEYS[3] holders zset, KEYS[4] holders hash
-- Returns {value, pttl, {token, ...}, {token, fence, ms left, ...}, n}: the key's value
-- ('' when free), its PTTL in ms (-1: no TTL, -2: no key), the tokens of the waiters whose
-- entries have not expired, the live holds of the holders set, and their n (0: none).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local waiters = {}
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
	local expiry = tonumber(string.match(entries[i + 1], '^(%d+) '))
	if expiry and expiry > now then
		waiters[#waiters + 1] = entries[i]
	end
end
local holds = {}
local live = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. now, '+inf', 'WITHSCORES')
for i = 1, #live, 2 do
	holds[#holds + 1] = live[i]
	holds[#holds + 1] = tonumber(redis.call('HGET', KEYS[4], live[i]) or '0')
	holds[#holds + 1] = tonumber(live[i + 1]) - now
end
local n = 0
if #holds > 0 then
	n = tonumber(redis.call('HGET', KEYS[4], '@n') or '0')
end
return {redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1]), waiters, holds, n}
