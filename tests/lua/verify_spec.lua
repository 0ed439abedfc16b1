-- verify_spec.lua CERTDIR [fallback] - records and verifier of the xdane Lua module.
-- Without "fallback", LuaSec certificate objects go through lsec_checkx509.
-- With "fallback", LuaSec is not loaded; a fake "SSL:Certificate" object makes
-- the module fall back to cert:pem(), which info.cert_access must report.
local tap = require "tap"
local dir = assert(arg[1], "usage: verify_spec.lua CERTDIR [fallback]") .. "/"
local mode = arg[2] or "luasec"

local before = {}
for k in pairs(_G) do before[k] = true end
local xdane = require "xdane"
local added = {}
for k in pairs(_G) do if not before[k] then added[#added + 1] = k end end
tap.ok(#added == 0, "require sets no globals", table.concat(added, ","))

local function read(name)
	local f = assert(io.open(dir .. name))
	local s = f:read("*a")
	f:close()
	return s
end
local function ref(name, sel, mt) -- hex computed by the openssl CLI in gen.sh
	for line in io.lines(dir .. name .. ".tlsa") do
		local s, m, hex = line:match("^(%d) (%d) (%x+)$")
		if tonumber(s) == sel and tonumber(m) == mt then return hex end
	end
	error("no " .. sel .. " " .. mt .. " for " .. name)
end
local function rec(u, s, m, name) return assert(xdane.tlsa(("%d %d %d %s"):format(u, s, m, ref(name, s, m)))) end

local ssl, cert
if mode == "fallback" then
	-- A fake LuaSec certificate: a (closed) file handle wearing the registered
	-- "SSL:Certificate" metatable; only :pem() works, as with a real one.
	local reg = debug.getregistry()
	tap.ok(reg["SSL:Certificate"] == nil, "fallback run: LuaSec is not loaded")
	local pems = setmetatable({}, { __mode = "k" })
	local mt = { __index = { pem = function(self) return pems[self] end } }
	reg["SSL:Certificate"] = mt
	cert = function(name)
		local fh = io.tmpfile()
		fh:close()
		debug.setmetatable(fh, mt)
		pems[fh] = read(name .. ".pem")
		return fh
	end
else
	ssl = require "ssl"
	cert = function(name) return ssl.loadcertificate(read(name .. ".pem")) end
end
local function pem(name) return read(name .. ".pem") end

-- Records ---------------------------------------------------------------
local hex = ref("leaf", 1, 1)
local r = xdane.tlsa("3 1 1 " .. hex:upper():gsub("(%x%x%x%x%x%x%x%x)", "%1 "))
tap.ok(r and r.usage == 3 and r.selector == 1 and r.mtype == 1 and #r.data == 32, "tlsa(): fields")
tap.is(tostring(r), "3 1 1 " .. hex, "tostring: lowercase, no spaces (F10a)")
tap.ok(r == xdane.tlsa("3 1 1 " .. hex), "records compare equal by value")
local n, msg, code = xdane.tlsa("3 1 1 zz")
tap.ok(n == nil and type(msg) == "string" and code == "malformed", "malformed text: nil, message, \"malformed\"")
tap.ok(select(3, xdane.tlsa("3 1")) == "malformed", "truncated record is malformed")
local w = xdane.tlsa_rdata(3, 1, 1, ("\171"):rep(32))
tap.ok(w.data == ("\171"):rep(32) and tostring(w) == "3 1 1 " .. ("ab"):rep(32), "tlsa_rdata: binary data")
tap.raises(function() xdane.tlsa_rdata(256, 1, 1, "x") end, "0..255", "tlsa_rdata raises on 256")
tap.raises(function() xdane.tlsa_rdata(3, 1, 1) end, nil, "tlsa_rdata raises without data")
tap.ok(r:usable() == true, "usable under the default uses")
local ok, why = xdane.tlsa_rdata(3, 1, 1, ("x"):rep(31)):usable()
tap.ok(ok == false and why == "digest length", "F10b 31 bytes: unusable, digest length")
ok, why = xdane.tlsa_rdata(1, 1, 1, ("x"):rep(32)):usable()
tap.ok(ok == false and why == "usage not enabled", "F11a PKIX-EE not enabled by default")
tap.ok(xdane.tlsa_rdata(1, 1, 1, ("x"):rep(32)):usable({ "PKIX-EE" }) == true, "usable with a uses list")
tap.is(select(2, xdane.tlsa_rdata(3, 2, 1, ("x"):rep(32)):usable()), "unknown selector", "F10e selector 2")
tap.is(select(2, xdane.tlsa_rdata(3, 1, 1, ""):usable()), "empty data", "F10c empty data")

-- Usages -----------------------------------------------------------------
tap.is(xdane.uses({ "DANE-EE", "DANE-TA" }), 12, "uses: list")
tap.is(xdane.uses("PKIX-CA"), 1, "uses: PKIX-CA alias of PKIX-TA")
tap.is(xdane.uses("PKIX-TA, PKIX-EE,DANE-TA DANE-EE"), 15, "uses: string")
tap.raises(function() xdane.uses({ "DANE-EE", "BOGUS" }) end, "BOGUS", "uses: unknown name raises, naming it (F16e)")
tap.raises(function() xdane.uses("BOGUS") end, "BOGUS", "uses: unknown name in a string raises")
tap.is(xdane.usage_name(0), "PKIX-TA", "usage_name(0)")
tap.is(xdane.usage_name(3), "DANE-EE", "usage_name(3)")

-- Verifier ----------------------------------------------------------------
tap.raises(function() xdane.verifier(dir .. "nonexistent.pem") end, "nonexistent", "verifier: unreadable CA file raises")
local v = xdane.verifier(dir .. "trust.pem")
tap.ok(tostring(v):match("^xdane.verifier: "), "verifier tostring")
local ND = { "example.net", "xmpp.example.net" }
local access = mode == "fallback" and "pem-fallback" or "x509"

local leaf, int, root = cert("leaf"), cert("int"), cert("root")
local ee = rec(3, 1, 1, "leaf")
local res, info = v:verify{ records = { ee }, chain = { leaf, int }, names = ND }
tap.ok(res == true and info.usage == 3 and info.usage_name == "DANE-EE" and info.depth == 0 and
	rawequal(info.record, ee) and info.usable == 1 and type(info.text) == "string",
	"DANE-EE with LuaSec objects: true, info (record is the object given)", info and info.text)
tap.is(info.cert_access, access, "LuaSec objects used as " .. access)

local ta = rec(2, 1, 1, "int")
res, info = v:verify{ records = { rec(3, 1, 1, "leaf-other"), ta }, chain = { leaf, int }, names = ND, role = "client" }
tap.ok(res == true and info.usage == 2 and info.depth == 1 and rawequal(info.record, ta), "F7b DANE-TA incoming", info and info.text)

res, info = v:verify{ records = { "2 1 1 " .. ref("root", 1, 1) }, chain = { pem("leaf"), pem("int"), pem("root") }, names = "xmpp.example.net" }
tap.ok(res == true and info.depth == 2 and info.cert_access == "pem" and tostring(info.record):match("^2 1 1 "),
	"PEM strings, record strings, one name string", info and info.text)

local function verdict(t)
	local a, b, c = v:verify(t)
	return a, b, c
end
local cases = {
	{ "F4 DANE-EE expired self-signed", { rec(3, 1, 1, "ss") }, { "ss-expired" }, ND, nil, true },
	{ "DANE-TA expired leaf", { ta }, { "leaf-expired", "int" }, ND, nil, false, "chain invalid" },
	{ "F8a wrong name", { ta }, { "leaf-other", "int" }, ND, nil, false, "name mismatch" },
	{ "F8e SRV-ID", { ta }, { "leaf-srvid", "int" }, ND, nil, true },
	{ "F8b wildcard", { ta }, { "leaf-wild", "int" }, ND, nil, true },
	{ "XmppAddr", { ta }, { "leaf-xmppaddr", "int" }, ND, nil, true },
	{ "F9a stale SHA2-512", { rec(3, 0, 1, "leaf"), rec(3, 0, 2, "leaf-other") }, { "leaf", "int" }, ND, nil, false, "no match" },
	{ "F9a reversed", { rec(3, 0, 2, "leaf-other"), rec(3, 0, 1, "leaf") }, { "leaf", "int" }, ND, nil, false, "no match" },
	{ "F9b", { rec(3, 1, 1, "leaf"), rec(3, 0, 2, "leaf-other") }, { "leaf", "int" }, ND, nil, true },
	{ "F11a PKIX-EE only", { rec(1, 1, 1, "leaf") }, { "leaf", "int" }, ND, nil, false, "no usable records" },
	{ "F11d", { rec(1, 1, 1, "leaf"), rec(3, 1, 1, "leaf-other") }, { "leaf", "int" }, ND, nil, false, "no match" },
	{ "F16a PKIX-TA", { rec(0, 1, 1, "int") }, { "leaf", "int" }, ND, { "PKIX-CA" }, true },
	{ "F16b PKIX-EE self-signed", { rec(1, 1, 1, "ss-named") }, { "ss-named" }, ND, xdane.uses("PKIX-EE"), false, "pkix failed" },
	{ "F16d PKIX-EE wrong names", { rec(1, 1, 1, "leaf-other") }, { "leaf-other", "int" }, ND, "PKIX-EE", false, "name mismatch" },
	{ "F5b root only in the store", { rec(2, 1, 1, "root") }, { "leaf", "int" }, ND, 15, false, "no match" },
	{ "attacker + real CA", { rec(2, 1, 1, "root") }, { "attacker", "int", "root" }, ND, nil, false, "no match" },
	{ "F6a 2 0 0 absent anchor", { rec(2, 0, 0, "root") }, { "leaf-direct" }, ND, nil, true },
	{ "RSA 2 1 1 chain", { rec(2, 1, 1, "rsa-root") }, { "rsa-leaf", "rsa-int", "rsa-root" }, ND, nil, true },
}
for _, c in ipairs(cases) do
	local chain = {}
	for i, name in ipairs(c[3]) do chain[i] = cert(name) end
	local a, b, i2 = verdict{ records = c[2], chain = chain, names = c[4], uses = c[5] }
	if c[6] then
		tap.ok(a == true and type(b) == "table", c[1] .. ": authenticated", type(b) == "string" and b .. " " .. i2.text or nil)
	else
		tap.ok(a == false and b == c[7] and type(i2) == "table" and type(i2.text) == "string",
			c[1] .. ": false, " .. c[7], tostring(b) .. " " .. tostring(i2 and i2.text))
	end
end

res, msg = v:verify{ records = { ee }, chain = { "not a certificate" }, names = ND }
tap.ok(res == false and msg == "malformed chain", "garbage PEM string: false, malformed chain")
res, msg = v:verify{ records = { ee }, chain = {}, names = ND }
tap.ok(res == false and msg == "malformed chain", "empty chain: false, malformed chain")
res, msg, info = v:verify{ records = {}, chain = { leaf }, names = ND }
tap.ok(res == false and msg == "no usable records" and info.usable == 0, "no records: no usable records")

tap.raises(function() v:verify() end, nil, "verify without a table raises")
tap.raises(function() v:verify{ records = { ee }, names = ND } end, "chain", "missing chain raises")
tap.raises(function() v:verify{ records = { ee }, chain = { 42 }, names = ND } end, "chain[1]", "a number in the chain raises")
tap.raises(function() v:verify{ records = { 42 }, chain = { leaf }, names = ND } end, "records[1]", "a number in records raises")
tap.raises(function() v:verify{ records = { "3 1 1 zz" }, chain = { leaf }, names = ND } end, "malformed", "a malformed record string raises")
tap.raises(function() v:verify{ records = { ee }, chain = { leaf }, names = ND, role = "peer" } end, "role", "bad role raises")
tap.raises(function() v:verify{ records = { ee }, chain = { leaf }, names = ND, uses = { "BOGUS" } } end, "BOGUS", "bad uses raise")
tap.raises(function() v:verify{ records = { ee }, chain = { leaf }, names = { 1 } } end, "names", "non-string name raises")

-- Many records and certificates (beyond the small on-stack arrays).
local many = {}
for i = 1, 40 do many[i] = rec(3, 1, 1, "leaf-other") end
many[41] = ee
local long = { leaf }
for i = 2, 20 do long[i] = int end
res, info = v:verify{ records = many, chain = long, names = ND }
tap.ok(res == true and rawequal(info.record, ee), "41 records, 20 certificates", info and info.text)

-- Lifetime: close is idempotent, use after close raises, __gc never raises.
local v2 = xdane.verifier("")
v2:close()
v2:close()
tap.raises(function() v2:verify{ records = { ee }, chain = { leaf }, names = ND } end, "after close", "use after close raises")
for _ = 1, 50 do
	local t = xdane.verifier("")
	t:verify{ records = { xdane.tlsa("3 1 1 " .. hex) }, chain = { pem("leaf") }, names = ND }
	if _ % 2 == 0 then t:close() end
end
collectgarbage()
collectgarbage()
tap.ok(true, "garbage collection of verifiers, records and decoded chains")
if _VERSION == "Lua 5.4" then
	local f = assert(load([[
		local xdane, ok = ...
		do local v <close> = xdane.verifier("") ok.v = v end
		return ok.v
	]]))
	local closed = f(xdane, {})
	tap.raises(function() closed:verify{ records = {}, chain = {}, names = {} } end, "after close", "<close> closes the verifier")
end

v:close()
tap.done()
