-- verify_attacks_spec.lua CERTDIR - hostile use of the xdane Lua binding.
-- CERTDIR comes from tests/certs/gen.sh plus weak512.pem (an RSA-512 leaf
-- under int, made by tests/suites/unit-verify-attacks.sh).
-- Cases that could crash the interpreter run in a child interpreter (the
-- same executable, module path and sanitizer preload): the child must print
-- "survived" and exit 0, so a segfault or an ASan report fails the case
-- instead of the whole spec.
local tap = require "tap"
local xdane = require "xdane"
local dir = assert(arg[1], "usage: verify_attacks_spec.lua CERTDIR") .. "/"

local function read(name)
	local f = assert(io.open(dir .. name))
	local s = f:read("*a")
	f:close()
	return s
end
local function ref(name, sel, mt)
	for line in io.lines(dir .. name .. ".tlsa") do
		local s, m, hex = line:match("^(%d) (%d) (%x+)$")
		if tonumber(s) == sel and tonumber(m) == mt then return hex end
	end
	error("no " .. sel .. " " .. mt .. " for " .. name)
end
local ND = { "example.net", "xmpp.example.net" }
local EE = "3 1 1 " .. ref("leaf", 1, 1)
local TA = "2 1 1 " .. ref("int", 1, 1)

-- The interpreter running this spec (arg[-1] is the name it was started as).
local lua_bin = arg[-1]
do
	local i = -1
	while arg[i - 1] do i = i - 1 end
	lua_bin = arg[i]
end

-- child - run a chunk in a fresh interpreter; true if it printed "survived" and exited 0.
local function child(name, code)
	local path = os.tmpname()
	local f = assert(io.open(path, "w"))
	f:write("local xdane = require 'xdane'\n", code, "\nio.write('survived\\n')\n")
	f:close()
	local p = io.popen(("%q %q 2>&1"):format(lua_bin, path))
	local out = p:read("*a")
	local ok, how, status = p:close()
	os.remove(path)
	if type(ok) == "number" then status, ok = ok, ok == 0 end -- Lua 5.1 style
	local good = ok == true and out:find("survived", 1, true) ~= nil
	return tap.ok(good, name, (out:gsub("\n", " | ")):sub(1, 400) .. " [" .. tostring(how) .. " " .. tostring(status) .. "]")
end

-- 1. Methods and metamethods called with the wrong userdata ------------------
child("verifier.close(record) raises or ignores it, no crash", [[
	local v = xdane.verifier("")
	local r = xdane.tlsa("3 1 1 00")
	pcall(v.close, r)
	assert(v:verify{ records = { r }, chain = {} } ~= nil or true)
]])
child("verifier.close(io.stdout) raises or ignores it, no crash", [[
	local v = xdane.verifier("")
	pcall(v.close, io.stdout)
	io.stdout:write("")
]])
child("verifier __gc called on a record (getmetatable), no crash", [[
	local v = xdane.verifier("")
	local r = xdane.tlsa("3 1 1 " .. ("ab"):rep(32))
	pcall(getmetatable(v).__gc, r)
	assert(tostring(r):find("ab", 1, true))
]])
child("record __gc called on a verifier after a LuaSec verify, no crash", [[
	local ok, ssl = pcall(require, "ssl")
	local v = xdane.verifier("")
	if ok then
		local f = assert(io.open(]] .. ("%q"):format(dir .. "leaf.pem") .. [[))
		local c = ssl.loadcertificate(f:read("*a")) f:close()
		v:verify{ records = { "3 1 1 00" .. ("00"):rep(31) }, chain = { c }, names = "example.net" }
	end
	pcall(getmetatable(xdane.tlsa("3 1 1 00")).__gc, v)
	collectgarbage() collectgarbage()
]])

-- A cert:pem() fallback (LuaSec's objects without lsec_checkx509) runs Lua
-- code in the middle of verify(); that code drops the only reference to the
-- record and collects it. The binding has already copied the record struct
-- (data pointer included), so the verification must not read freed data.
child("records collected during the cert:pem() fallback are not used after free", [[
	local reg = debug.getregistry()
	assert(reg["SSL:Certificate"] == nil, "LuaSec must not be loaded in this child")
	local req
	local leaf = ]] .. ("%q"):format(read("leaf.pem")) .. [[

	local mt = { __index = { pem = function()
		req.records[1] = nil
		collectgarbage() collectgarbage()
		local junk = {}
		for i = 1, 200 do junk[i] = xdane.tlsa("3 1 1 " .. ("ff"):rep(32)) end
		return leaf
	end } }
	reg["SSL:Certificate"] = mt
	local fake = io.tmpfile()
	fake:close()
	debug.setmetatable(fake, mt)
	local v = xdane.verifier("")
	req = { records = { xdane.tlsa("]] .. EE .. [[") }, chain = { fake }, names = "example.net" }
	local ok, res, reason = pcall(v.verify, v, req)
	assert(not ok or res == true, "verdict changed by freed record data: " .. tostring(res) .. " " .. tostring(reason))
]])

-- 2. __gc twice, close twice, use after close --------------------------------
do
	local v = xdane.verifier("")
	local mt = getmetatable(v)
	mt.__gc(v)
	mt.__gc(v)
	v:close()
	tap.raises(function() return v:verify{ records = { EE }, chain = { read("leaf.pem") } } end,
		"used after close", "verifier __gc twice, then verify raises \"used after close\"")
	local r = xdane.tlsa(EE)
	local rmt = getmetatable(r)
	rmt.__gc(r)
	rmt.__gc(r)
	tap.ok(r.data == "" and tostring(r) == "3 1 1", "record __gc twice: empty, still printable")
	local v2 = xdane.verifier("")
	local res, reason = v2:verify{ records = { r }, chain = { read("leaf.pem") }, names = ND }
	tap.ok(res == false and reason == "no usable records", "a collected record is unusable, not a match", reason)
end

-- 3. Tables whose length operator lies (border 2^62 with a handful of entries).
-- Lua 5.3+ computes #t by doubling probes, so 40 entries give #t = 2^62, and
-- n * sizeof(element) wraps to 0 in 64 bits.
local huge = [[
	local function lying(v)
		local t = {}
		for i = 1, 17 do t[i] = v end
		t[32], t[33] = v, v
		local k = 64
		while k > 0 and k <= math.maxinteger // 2 + 1 do t[k] = v; k = k * 2 end
		return t
	end
	local v = xdane.verifier("")
	local rec = xdane.tlsa("3 1 1 " .. ("00"):rep(32))
	local pem = ]] .. ("%q"):format(read("leaf.pem")) .. [[

	local ok, err = pcall(v.verify, v, { records = lying(rec), chain = { pem } })
	assert(not ok, "lying records table accepted")
	ok, err = pcall(v.verify, v, { records = { rec }, chain = { pem }, names = lying("example.net") })
	assert(not ok, "lying names table accepted")
	ok, err = pcall(v.verify, v, { records = { rec }, chain = lying(pem) })
	assert(not ok, "lying chain table accepted")
	ok, err = pcall(xdane.uses, lying("DANE-EE"))
	collectgarbage() collectgarbage()
	local junk = {}
	for i = 1, 20000 do junk[i] = { i, tostring(i) } end
]]
if math.maxinteger then
	child("records/names/chain tables with #t = 2^62 raise cleanly (no heap overflow)", huge)
else
	tap.ok(true, "tables with a lying length: Lua " .. _VERSION .. " has no 2^62 borders (skipped: nothing to test)")
end
child("a records table of 20000 entries is handled", [[
	local v = xdane.verifier("")
	local t = {}
	for i = 1, 20000 do t[i] = "3 1 1 " .. ("%064x"):format(i) end
	local ok, a, b = pcall(v.verify, v, { records = t, chain = { ]] .. ("%q"):format(read("leaf.pem")) .. [[ } })
	assert(ok and a == false and b == "no match", tostring(a) .. " " .. tostring(b))
]])

-- 4. Wrong argument types raise; nothing is left on the stack ----------------
do
	local v = xdane.verifier("")
	local leaf = read("leaf.pem")
	local bad = {
		{ "verify(nil)", function() return v:verify(nil) end },
		{ "verify(string)", function() return v:verify("x") end },
		{ "records = string", function() return v:verify{ records = EE, chain = { leaf } } end },
		{ "records = {1}", function() return v:verify{ records = { 1 }, chain = { leaf } } end },
		{ "records = {{}}", function() return v:verify{ records = { {} }, chain = { leaf } } end },
		{ "records = {verifier}", function() return v:verify{ records = { v }, chain = { leaf } } end },
		{ "records = {malformed string}", function() return v:verify{ records = { "3 1 1 zz" }, chain = { leaf } } end },
		{ "chain = {{}}", function() return v:verify{ records = { EE }, chain = { {} } } end },
		{ "chain = {record}", function() return v:verify{ records = { EE }, chain = { xdane.tlsa(EE) } } end },
		{ "chain = {io.stdout}", function() return v:verify{ records = { EE }, chain = { io.stdout } } end },
		{ "names = {1}", function() return v:verify{ records = { EE }, chain = { leaf }, names = { 1 } } end },
		{ "names = 5", function() return v:verify{ records = { EE }, chain = { leaf }, names = true } end },
		{ "uses = 0", function() return v:verify{ records = { EE }, chain = { leaf }, uses = 0 } end },
		{ "uses = 16", function() return v:verify{ records = { EE }, chain = { leaf }, uses = 16 } end },
		{ "uses = -1", function() return v:verify{ records = { EE }, chain = { leaf }, uses = -1 } end },
		{ "uses = {'BOGUS'}", function() return v:verify{ records = { EE }, chain = { leaf }, uses = { "BOGUS" } } end },
		{ "uses = {}", function() return v:verify{ records = { EE }, chain = { leaf }, uses = {} } end },
		{ "uses = {3}", function() return v:verify{ records = { EE }, chain = { leaf }, uses = { 3 } } end },
		{ "role = 'peer'", function() return v:verify{ records = { EE }, chain = { leaf }, role = "peer" } end },
		{ "role = {}", function() return v:verify{ records = { EE }, chain = { leaf }, role = {} } end },
		{ "tlsa_rdata(256,...)", function() return xdane.tlsa_rdata(256, 1, 1, "x") end },
		{ "tlsa_rdata(-1,...)", function() return xdane.tlsa_rdata(-1, 1, 1, "x") end },
		{ "tlsa_rdata(3,1,1,nil)", function() return xdane.tlsa_rdata(3, 1, 1) end },
		{ "tlsa(nil)", function() return xdane.tlsa() end },
		{ "verifier({})", function() return xdane.verifier({}) end },
		{ "verifier('/nonexistent')", function() return xdane.verifier("/nonexistent/ca.pem") end },
		{ "record:usable('BOGUS')", function() return xdane.tlsa(EE):usable("BOGUS") end },
		{ "verify on a record", function() return getmetatable(v).__index.verify(xdane.tlsa(EE), {}) end },
	}
	for _, b in ipairs(bad) do
		tap.raises(b[2], nil, "bad argument raises: " .. b[1])
	end
	-- A table whose fields raise on access.
	local trap = setmetatable({}, { __index = function() error("trap") end })
	tap.raises(function() return v:verify(trap) end, "trap", "verify: a raising __index propagates")
	-- Still working, and exactly 2 results on success, 3 on refusal.
	tap.is(select("#", v:verify{ records = { EE }, chain = { leaf, read("int.pem") }, names = ND }), 2,
		"after the raises: success returns 2 values")
	tap.is(select("#", v:verify{ records = { TA }, chain = { read("leaf-other.pem"), read("int.pem") }, names = ND }), 3,
		"after the raises: refusal returns 3 values")
end

-- 5. A userdata dressed up as a LuaSec certificate ---------------------------
do
	local v = xdane.verifier("")
	local fake = io.tmpfile()
	debug.setmetatable(fake, { __name = "SSL:Certificate", __index = { pem = function() return read("leaf.pem") end } })
	tap.raises(function() return v:verify{ records = { EE }, chain = { fake } } end, nil,
		"userdata with a look-alike \"SSL:Certificate\" metatable is refused")
	local ok, ssl = pcall(require, "ssl")
	if ok then
		local real = ssl.loadcertificate(read("leaf.pem"))
		local res = v:verify{ records = { EE }, chain = { real, read("int.pem") }, names = ND }
		tap.ok(res == true, "a real LuaSec certificate still works")
	else
		tap.ok(false, "LuaSec (lua-sec) not installed for " .. _VERSION)
	end
end

-- 6. Nothing carried from one verification to the next ------------------------
do
	local v = xdane.verifier("")
	local fresh = xdane.verifier("")
	local weak = { read("weak512.pem"), read("int.pem") }
	local a1, r1, i1 = fresh:verify{ records = { EE }, chain = weak, names = ND }
	local okA = v:verify{ records = { EE }, chain = { read("leaf.pem"), read("int.pem") }, names = ND }
	local a2, r2, i2 = v:verify{ records = { EE }, chain = weak, names = ND }
	tap.ok(okA == true and a1 == false and a2 == false, "weak-key leaf rejected with and without history")
	tap.ok(r1 == r2 and i2.record == nil and i2.usage == i1.usage,
		"weak-key leaf after a match: same reason, no record reported",
		("fresh %s usage %s | after match %s usage %s record %s"):format(r1, tostring(i1.usage), r2,
			tostring(i2.usage), tostring(i2.record)))
end

-- 7. Errors inside verification leave nothing behind --------------------------
do
	local v = xdane.verifier("")
	local leaf, int = read("leaf.pem"), read("int.pem")
	local before = collectgarbage("count")
	for i = 1, 500 do
		pcall(v.verify, v, { records = { EE }, chain = { leaf, int, {} } }) -- raises after decoding two PEMs
		pcall(v.verify, v, { records = { EE, "x" }, chain = { leaf } })
		v:verify{ records = { EE }, chain = { leaf, "not a certificate" } }
	end
	collectgarbage() collectgarbage()
	local after = collectgarbage("count")
	tap.ok(after - before < 256, "500 rounds of raising verifications: Lua heap grows < 256 KiB",
		("%.0f KiB -> %.0f KiB"):format(before, after))
	local res = v:verify{ records = { EE }, chain = { leaf, int }, names = ND }
	tap.ok(res == true, "verifier still correct after the raises")
end

-- 6. Reference names C would cut or that name nothing ----------------------
do
	local v = xdane.verifier("")
	local chain = { read("leaf.pem"), read("int.pem") }
	local ok, reason = v:verify{ records = { TA }, chain = chain, names = { "example.net\0.attacker.example" } }
	tap.ok(ok == false and reason == "name mismatch", "DANE-TA: a reference name with a NUL byte matches nothing", reason)
	ok, reason = v:verify{ records = { TA }, chain = chain, names = { "example.net\0.attacker.example", "example.net" } }
	tap.ok(ok == true, "DANE-TA: the same NUL name next to the real one: the real one still matches", reason)
	ok, reason = v:verify{ records = { TA }, chain = chain, names = { ".." } }
	tap.ok(ok == false and reason == "name mismatch", "DANE-TA: reference '..' matches nothing", reason)
	v:close()
end

tap.done()
