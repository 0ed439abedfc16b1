-- resolver_lab.lua - the Lua resolver API (xdane.miniloop, xdane.resolver)
-- against the live DNSSEC lab: statuses from expected.txt, records, cache,
-- cancel, callback errors, close inside a callback, __gc in flight, Lua host
-- tables that refuse or raise, configuration errors.
local tap = require "tap";
local xdane = require "xdane";

local upstream = assert(os.getenv("XDANE_UPSTREAM"), "XDANE_UPSTREAM not set");
local anchor = assert(os.getenv("XDANE_TRUST_ANCHOR"), "XDANE_TRUST_ANCHOR not set");
local labdir = assert(os.getenv("XDANE_LAB_DIR"), "XDANE_LAB_DIR not set");

local loop = xdane.miniloop();
local logged = {};
local function new_resolver(extra)
	local cfg = { upstreams = { upstream }, trust_anchor = anchor, timeout = 2, loop = loop,
		log = function (level, msg) logged[#logged + 1] = level .. ": " .. msg; end };
	for k, v in pairs(extra or {}) do cfg[k] = v; end
	return xdane.resolver(cfg);
end

-- configuration errors raise, naming the option
tap.raises(function () xdane.resolver{ upstreams = { "127.0.0.1:0" }, trust_anchor = anchor, loop = loop } end,
	"upstreams", "bad upstream port raises naming upstreams");
tap.raises(function () xdane.resolver{ upstreams = { upstream }, trust_anchor = "/nonexistent", loop = loop } end,
	"trust_anchor", "missing trust anchor raises naming trust_anchor");
tap.raises(function () xdane.resolver{ upstreams = { upstream }, trust_anchor = anchor, timeout = -1, loop = loop } end,
	"timeout", "negative timeout raises");
tap.raises(function () xdane.resolver{ upstreams = { upstream }, trust_anchor = anchor } end,
	"loop", "missing loop raises");
tap.raises(function () xdane.resolver{ upstreams = { upstream }, trust_anchor = anchor, loop = { watch = print } } end,
	"unwatch", "incomplete host table raises naming the function");

-- every SRV/TLSA line of expected.txt (slow.example is covered by the C suite)
local r = new_resolver();
local cases = {};
for line in io.lines(labdir .. "/expected.txt") do
	local name, qtype, status, detail, rdata = line:match("^(%S+) (%S+) (%S+) (%S+) ?(.*)$");
	if name and name:sub(1, 1) == "_" and (qtype == "SRV" or qtype == "TLSA")
		and not name:find("slow.example", 1, true) and not name:find("bench.example", 1, true) then
		local case = { name = name, qtype = qtype, status = status, detail = detail, rdata = rdata, calls = 0 };
		local function cb(a) case.calls = case.calls + 1; case.answer = a; end
		local id, err;
		local service, domain = name:match("^_(xmpps?)%-server%._tcp%.(.+)$");
		local port, host = name:match("^_(%d+)%._tcp%.(.+)$");
		if qtype == "SRV" and service then
			id, err = r:srv(domain, service == "xmpps", cb);
		elseif qtype == "TLSA" and port then
			id, err = r:tlsa(tonumber(port), host, cb);
		end
		if id then cases[#cases + 1] = case; else tap.ok(false, "start " .. name, err); end
	end
end
tap.ok(#cases > 30, "expected.txt gives SRV/TLSA cases (" .. #cases .. ")");
loop:run(function ()
	for _, c in ipairs(cases) do if c.calls == 0 then return false; end end
	return true;
end, 8000);

local function srv_text(records)
	local out = {};
	for i, s in ipairs(records) do
		out[i] = ("%d %d %d %s%s"):format(s.priority, s.weight, s.port, s.target, s.target == "." and "" or ".");
	end
	return table.concat(out, ";");
end

for _, c in ipairs(cases) do
	local a = c.answer;
	local ok = a ~= nil and c.calls == 1 and a.status == c.status and a.secure == (c.status == "secure")
		and a.qname == c.name and a.qtype == c.qtype;
	local diag = a and ("got %s (%s) rcode %s, %d records"):format(a.status, tostring(a.why), tostring(a.rcode), #a.records) or "no answer";
	if ok and c.detail == "records" and (c.status == "secure" or c.status == "insecure") then
		ok = #a.records > 0;
		if ok and c.rdata ~= "" then
			local text = c.qtype == "SRV" and srv_text(a.records) or tostring(a.records[1]);
			ok = text == c.rdata;
			diag = diag .. " rdata " .. text;
		end
	elseif ok then
		ok = #a.records == 0;
		if c.detail == "nxdomain" and c.status == "secure" then ok = ok and a.rcode == 3; end
	end
	tap.ok(ok, ("%s %s: %s %s"):format(c.name, c.qtype, c.status, c.detail), diag);
end

-- TLSA records are the verifier's record objects
do
	local a;
	for _, c in ipairs(cases) do if c.name == "_5269._tcp.xmpp.a.example" then a = c.answer; end end
	local rec = a and a.records[1];
	tap.ok(rec ~= nil and rec.usage == 3 and rec.selector == 1 and rec.mtype == 1 and #rec.data == 32,
		"TLSA record object has usage/selector/mtype/data");
end

-- cache hits are delivered later, not synchronously, and marked cached
do
	local got;
	local id = r:tlsa(5269, "xmpp.a.example", function (a) got = a; end);
	tap.ok(type(id) == "number" and got == nil, "cache hit not delivered synchronously");
	loop:run(function () return got; end, 2000);
	tap.ok(got and got.cached == true and got.status == "secure", "cache hit marked cached");
	local st = r:stats();
	tap.ok(st.cache_hits >= 1 and st.secure >= 1 and st.bogus >= 1 and st.indeterminate >= 1 and st.insecure >= 1
		and st.in_flight == 0 and st.queued == 0 and st.cache_entries >= 1, "stats count answers by status");
end

-- a.example's SRV answer taught its keys: a new question in that zone is validated offline
do
	local before, got = r:stats().offline_secure;
	r:tlsa(5270, "xmpp.a.example", function (a) got = a; end);
	loop:run(function () return got; end, 4000);
	local after = r:stats().offline_secure;
	tap.ok(got and got.status == "secure" and #got.records == 0 and got.rcode == 3 and after == before + 1,
		"proven absence validated offline under a learned zone",
		got and ("%s %s, offline_secure %d -> %d"):format(got.status, tostring(got.why), before, after));
end

-- invalid names: nil, message, "badname"
do
	local id, msg, code = r:srv("a..example", false, function () end);
	tap.ok(id == nil and code == "badname" and msg:find("empty label", 1, true), "invalid name gives badname", msg);
	tap.raises(function () r:tlsa(70000, "a.example", function () end); end, "port", "port out of range raises");
	tap.raises(function () r:srv("a.example", false); end, nil, "missing callback raises");
end

-- cancel: the callback never runs
do
	local called = false;
	local id = r:tlsa(5269, "cancel1.a.example", function () called = true; end);
	tap.is(r:cancel(id), true, "cancel in flight");
	tap.is(r:cancel(id), false, "second cancel");
	local other;
	r:tlsa(5269, "cancel2.a.example", function (a) other = a; end);
	loop:run(function () return other; end, 3000);
	loop:run_once(10);
	tap.ok(not called and other ~= nil, "cancelled callback never ran");
end

-- an error in a callback is logged with a traceback, later callbacks still run
do
	local second;
	logged = {};
	r:tlsa(5269, "err1.a.example", function () error("boom in callback"); end);
	r:tlsa(5269, "err2.a.example", function (a) second = a; end);
	loop:run(function () return second; end, 3000);
	local log = table.concat(logged, "\n");
	tap.ok(second ~= nil and log:find("boom in callback", 1, true) and log:find("traceback", 1, true),
		"callback error logged with traceback, others still delivered", log);
end

-- closing from inside a callback: the other callbacks never run, use after close raises
do
	local r2 = new_resolver();
	local calls = 0;
	for i = 1, 3 do
		r2:srv("a.example", false, function () calls = calls + 1; r2:close(); r2:close(); end);
	end
	loop:run(function () return calls > 0; end, 3000);
	loop:run_once(10);
	tap.is(calls, 1, "close inside callback: no other callback");
	tap.raises(function () r2:srv("a.example", false, function () end); end, "closed", "use after close raises");
	tap.ok(tostring(r2):find("closed", 1, true), "tostring shows closed");
end

-- dropping a resolver with lookups in flight: __gc cancels them
do
	local called = false;
	local r3 = new_resolver();
	for i = 1, 20 do r3:tlsa(5269, "gc" .. i .. ".a.example", function () called = true; end); end
	loop:run_once(5);
	r3 = nil;
	collectgarbage(); collectgarbage();
	for _ = 1, 20 do loop:run_once(10); end
	tap.ok(not called, "__gc in flight: no callback");
end

-- Lua host tables: a refusing host ends lookups indeterminate at once; a raising host is logged
do
	local timers = {};
	local refusing = {
		watch = function () return nil; end,
		unwatch = function () end,
		timer = function (s, f) timers[#timers + 1] = f; return #timers; end,
		cancel_timer = function (h) timers[h] = false; end,
	};
	local r4 = new_resolver{ loop = refusing };
	local got;
	logged = {};
	r4:tlsa(5269, "xmpp.a.example", function (a) got = a; end);
	-- run the host's timers by hand (a loop without fds)
	for _ = 1, 10 do
		local t = timers; timers = {};
		for _, f in ipairs(t) do if f then f(); end end
		if got then break; end
	end
	tap.ok(got and got.status == "indeterminate", "refusing host: indeterminate", got and got.why);
	tap.ok(table.concat(logged, "\n"):find("refused", 1, true), "refusing host: refusal logged");
	r4:close();

	local raising = {
		watch = function () error("watch exploded"); end,
		unwatch = function () end,
		timer = function (s, f) timers[#timers + 1] = f; return #timers; end,
		cancel_timer = function () end,
	};
	local r5 = new_resolver{ loop = raising };
	got = nil; logged = {};
	r5:tlsa(5269, "xmpp.b.example", function (a) got = a; end);
	for _ = 1, 10 do
		local t = timers; timers = {};
		for _, f in ipairs(t) do if f then f(); end end
		if got then break; end
	end
	tap.ok(got and got.status == "indeterminate" and table.concat(logged):find("watch exploded", 1, true),
		"raising host: logged, lookup indeterminate");
	r5:close();
end

r:close();
tap.ok(loop:run_once(0) == 0, "miniloop empty at the end");
tap.done();
