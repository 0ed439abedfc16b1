-- bench_verify.lua CERTDIR [SECONDS] - the path Prosody takes: LuaSec
-- certificate objects and record objects through xdane's verifier:verify{}.
-- Prints "<case>_lua <verifications per second>" lines.
local xdane = require "xdane"
local ssl = require "ssl"
local dir = assert(arg[1]) .. "/"
local secs = tonumber(arg[2]) or 1.0
local clock = os.clock

local function read(name)
	local f = assert(io.open(dir .. name .. ".pem"))
	local s = f:read("*a")
	f:close()
	return s
end
local function record(u, s, m, name)
	for line in io.lines(dir .. name .. ".tlsa") do
		local ls, lm, hex = line:match("^(%d) (%d) (%x+)$")
		if tonumber(ls) == s and tonumber(lm) == m then
			return assert(xdane.tlsa(("%d %d %d %s"):format(u, s, m, hex)))
		end
	end
end

local v = xdane.verifier("")
local names = { "example.net", "xmpp.example.net" }
local cases = {
	{ "ee_ec_311", { record(3, 1, 1, "ss") }, { "ss" } },
	{ "ta_rsa3_211", { record(2, 1, 1, "rsa-root") }, { "rsa-leaf", "rsa-int", "rsa-root" } },
}
for _, c in ipairs(cases) do
	local chain = {}
	for i, n in ipairs(c[3]) do chain[i] = ssl.loadcertificate(read(n)) end
	local records = c[2]
	local best = 0
	for _ = 1, 3 do
		local n, t0, t = 0, clock(), 0
		repeat
			for _ = 1, 50 do
				-- a fresh request table per check, as a certificate hook builds it
				local ok, info = v:verify{ records = records, chain = chain, names = names }
				if not ok or info.cert_access ~= "x509" then
					error(c[1] .. ": verification failed or not on the LuaSec path: " .. tostring(info and info.text or info))
				end
			end
			n = n + 50
			t = clock() - t0
		until t >= secs / 3
		if n / t > best then best = n / t end
	end
	print(("%s_lua %.0f"):format(c[1], best))
end
v:close()
