-- The hooks of acquire.lua for a caller that only tries: nothing to record.
local function taken(token) end
local function waiting(token) end
