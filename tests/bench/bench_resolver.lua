-- bench_resolver.lua - SRV then TLSA lookups for many domains inside
-- Prosody's real event loop (net.server_epoll, util.timer; Lua 5.4), through
-- one of two resolvers:
--   xdane    xdane.resolver over lua/xdane_prosody_loop.lua (our bridge)
--   unbound  lua-unbound, driven the way Prosody's net.unbound drives it
--            (one watchfd on the context, records parsed by util.dns)
--
--   lua5.4 bench_resolver.lua SIDE UPSTREAM(ip:port) ANCHOR DOMAINS_FILE [PASSES]
--
-- Prints one "pass" line per pass (uncached, then cached) and a final
-- "process" line with peak memory (VmHWM) and CPU time. The longest stall is
-- the longest single callback of the loop (fd ready or timer), which is the
-- time the loop could not serve anything else.
package.path = "/usr/lib/prosody/?.lua;" .. package.path;
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath;
local server = require "net.server_epoll";
package.loaded["net.server"] = server;
local timer = require "util.timer";
local monotonic = require "util.time".monotonic;

local side, upstream, anchor, domains_file = arg[1], arg[2], arg[3], arg[4];
local passes = tonumber(arg[5] or "2");
assert(side and upstream and anchor and domains_file, "usage: SIDE UPSTREAM ANCHOR DOMAINS [PASSES]");

local domains = {};
for line in io.lines(domains_file) do
	if line:match("%S") then domains[#domains + 1] = line:match("%S+"); end
end

-- wall clock (what the loop felt, including time the process was not
-- scheduled on a busy machine) and process CPU time (os.clock: the work done;
-- for lua-unbound it also counts its resolver thread running meanwhile)
local max_stall, max_stall_cpu, over5 = 0, 0, 0;
local function timed(f, what)
	return function (...)
		local t0, c0 = monotonic(), os.clock();
		local r = f(...);
		local d, dc = monotonic() - t0, os.clock() - c0;
		if d > max_stall then max_stall = d; end
		if dc > max_stall_cpu then max_stall_cpu = dc; end
		if d > 0.005 then over5 = over5 + 1; end
		if dc > 0.003 and os.getenv("XDANE_BENCH_DEBUG") then io.stderr:write(("cpu stall %.1f ms (%s)\n"):format(dc * 1000, what or "?")); end
		return r;
	end
end

-- srv(domain, cb(secure, target, port)) and tlsa(port, host, cb(secure, count))
local srv, tlsa, mode_log;

if side == "xdane" then
	local xdane = require "xdane";
	local host = require "xdane_prosody_loop".new(server, timer);
	local watch, add_timer = host.watch, host.timer;
	host.watch = function (fd, r, w, on_ready) return watch(fd, r, w, timed(on_ready, "fd" .. fd)); end;
	host.timer = function (s, on_fire) return add_timer(s, timed(on_fire, "timer")); end;
	local r = xdane.resolver{ upstreams = { upstream }, trust_anchor = anchor, timeout = 5, loop = host,
		key_cache = os.getenv("XDANE_BENCH_KEY_CACHE") ~= "0", max_inflight = tonumber(os.getenv("XDANE_BENCH_INFLIGHT") or "64"),
		log = function (_, msg) io.stderr:write(msg, "\n"); end };
	function srv(domain, cb)
		r:srv(domain, false, function (a)
			local rec = a.records[1];
			cb(a.secure, rec and rec.target, rec and rec.port);
		end);
	end
	function tlsa(port, target, cb)
		r:tlsa(port, target, function (a) cb(a.secure, #a.records); end);
	end
	function mode_log() local st = r:stats(); return ("upstream_requests=%d cache_hits=%d keys_cached=%d key_retries=%d offline_secure=%d offline_retries=%d"):format(st.upstream_queries, st.cache_hits, st.keys_cached, st.key_cache_retries, st.offline_secure, st.offline_retries); end
elseif side == "unbound" then
	local lunbound = require "lunbound";
	local dns = require "util.dns";
	local ub = lunbound.new{ resolvconf = false, hoststxt = false, forward = { (upstream:gsub(":", "@")) },
		trustfile = anchor };
	server.watchfd(ub, timed(function () ub:process(); end));
	-- as net.unbound's prep_answer: parse every record, drop bogus data
	local function lookup(qname, qtype, cb)
		local t = qtype == 33 and "srv" or "tlsa";
		local parser = dns.parsers[qtype == 33 and "SRV" or "TLSA"];
		local ok, err = ub:resolve_async(function (a)
			if a then
				for i = 1, #a do
					if a.bogus then a[i] = nil; else a[i] = { [t] = parser(a[i]) }; end
				end
			end
			local okc, cerr = pcall(cb, a);
			if not okc then io.stderr:write(cerr, "\n"); end
		end, qname, qtype, 1);
		if not ok then io.stderr:write("resolve_async: ", tostring(err), "\n"); cb(nil); end
	end
	function srv(domain, cb)
		lookup("_xmpp-server._tcp." .. domain, 33, function (a)
			local rec = a and a[1] and a[1].srv;
			cb(a and a.secure, rec and rec.target:gsub("%.$", ""), rec and rec.port);
		end);
	end
	function tlsa(port, target, cb)
		lookup(("_%d._tcp.%s"):format(port, target), 52, function (a) cb(a and a.secure, a and #a or 0); end);
	end
	function mode_log() return ""; end
else
	error("SIDE must be xdane or unbound");
end

-- run_pass - every domain: SRV, then TLSA at its target; issued in batches
-- of 50 per loop tick, as sessions arriving would.
local function run_pass(name)
	local n, done, secure = #domains, 0, 0;
	local t0 = monotonic();
	local next_i = 1;
	max_stall, max_stall_cpu, over5 = 0, 0, 0;
	local function one(domain)
		srv(domain, function (ok, target, port)
			if ok and target then
				tlsa(port, target, function (tok, count)
					done = done + 1;
					if tok and count > 0 then secure = secure + 1; end
				end);
			else
				done = done + 1;
			end
		end);
	end
	local issue;
	issue = timed(function ()
		for _ = 1, 50 do
			if next_i > n then return; end
			one(domains[next_i]);
			next_i = next_i + 1;
		end
		if next_i <= n then timer.add_task(0, issue); end
	end, "issue");
	timer.add_task(0, issue);
	local guard = timer.add_task(0.05, function () return 0.05; end);
	local deadline = t0 + 120;
	while done < n and monotonic() < deadline do
		server.loop(true);
	end
	timer.stop(guard);
	local secs = monotonic() - t0;
	print(("pass side=%s pass=%s domains=%d done=%d secure=%d seconds=%.3f rate=%.1f max_stall_ms=%.2f max_stall_cpu_ms=%.2f stalls_over_5ms=%d %s"):format(
		side, name, n, done, secure, secs, n / secs, max_stall * 1000, max_stall_cpu * 1000, over5, mode_log()));
	io.stdout:flush();
end

local cpu0 = os.clock();
run_pass("uncached");
for i = 2, passes do run_pass("cached"); end
local hwm = "?";
for line in io.lines("/proc/self/status") do
	local v = line:match("^VmHWM:%s*(%d+)");
	if v then hwm = v; end
end
print(("process side=%s vmhwm_kb=%s cpu_s=%.3f"):format(side, hwm, os.clock() - cpu0));
