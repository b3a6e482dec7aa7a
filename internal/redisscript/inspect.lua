-- Read who holds a lock and who waits for it on the server, changing nothing (PROTOCOL.md,
-- "Scripts", "Inspect"). The key holds "<owner token> <fence>"; the queue hash (wait.lua)
-- maps each waiter's token to "<expiry ms, server clock> <try number> <grant TTL ms>".
-- KEYS[1] lock key, KEYS[2] queue hash
-- Returns {value, pttl, token, ...}: the key's value ('' when free), its PTTL in ms (-1: no
-- TTL, -2: no key), and the tokens of the waiters whose entries have not expired.
local held = redis.call('GET', KEYS[1]) or ''
local reply = {held, redis.call('PTTL', KEYS[1])}
local entries = redis.call('HGETALL', KEYS[2])
if #entries > 0 then
	local t = redis.call('TIME')
	local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
	for i = 1, #entries, 2 do
		local expiry = tonumber(string.match(entries[i + 1], '^(%d+) '))
		if expiry and expiry > now then
			reply[#reply + 1] = entries[i]
		end
	end
end
return reply
