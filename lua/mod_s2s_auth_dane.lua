-- mod_s2s_auth_dane - DANE (RFC 6698, 7671, 7673) for Prosody server-to-server links.
-- Licence: MIT.
--
-- Every s2s session whose peer publishes secure TLSA records is authenticated by
-- them or refused; insecure or absent TLSA leave Prosody's normal policy in charge.
--   outgoing: TLSA of the SRV target actually connected (_<port>._tcp.<target>),
--             only behind a secure SRV answer; no SRV: the domain on 5269.
--   incoming: SRV (_xmpp-server and _xmpps-server) of the claimed domain, TLSA of
--             every secure target, the certificate matched against their union.
-- DNSSEC lookups and matching are done by the xdane C module (getdns + OpenSSL),
-- run inside Prosody's own event loop.
--
-- Decisions and known limits: README.md, "The Prosody module" ("What is checked", "Untested").

-- Helper files next to this module, one topic each (all take their dependencies
-- in new(deps)): s2s_auth_dane_memo, _facts, _verdicts, _resolver, _shell; and
-- xdane_prosody_loop, the resolver's event loop on net.server.

module:set_global();

local async = require "util.async";
local timer = require "util.timer";
local server = require "net.server";
local adns = require "net.adns";
local idna_to_ascii = require "util.encodings".idna.to_ascii;

local resolvers_service = require "net.resolvers.service";
local resolvers_chain = require "net.resolvers.chain";
local now = require "util.time".now;

local log = module._log;

-- Prosody 0.12.4 and 13 fire s2sout-pre-connect; 0.12.0-0.12.3 do not.
local function parse_version(v)
	local a, b, c = tostring(v or ""):match("^(%d+)%.?(%d*)%.?(%d*)");
	if not a then return nil; end
	a, b, c = tonumber(a), tonumber(b) or 0, tonumber(c) or 0;
	if a == 0 then return b * 100 + c; end -- 0.12.3 -> 1203
	return a * 100 + b;                      -- 13.0 -> 1300
end
local prosody_version = parse_version(prosody and prosody.version);
local has_pre_connect = prosody_version == nil or prosody_version >= 1204;
local is_13 = prosody_version ~= nil and prosody_version >= 1300;

---------------------------------------------------------------------------
-- Loading the C module: installed next to this file (lib/<ver>/xdane.so), the
-- build tree (../build/<ver>/xdane.so), an explicit dane_library, or cpath.
---------------------------------------------------------------------------
local function load_xdane()
	local ver = _VERSION:match("(%d+%.%d+)");
	local dir = module:get_directory() or ".";
	local tried = {};
	local candidates = {};
	local explicit = module:get_option_string("dane_library");
	if explicit then candidates[#candidates + 1] = explicit; end
	candidates[#candidates + 1] = dir .. "/lib/" .. ver .. "/xdane.so";
	candidates[#candidates + 1] = dir .. "/../build/" .. ver .. "/xdane.so";
	for _, path in ipairs(candidates) do
		local fh = io.open(path, "rb");
		if fh then
			fh:close();
			local open, err = package.loadlib(path, "luaopen_xdane");
			if open then return open(), path; end
			tried[#tried + 1] = path .. ": " .. tostring(err);
		else
			tried[#tried + 1] = path .. ": not found";
		end
	end
	local ok, mod = pcall(require, "xdane");
	if ok and type(mod) == "table" then return mod, "require \"xdane\""; end
	tried[#tried + 1] = "require \"xdane\": " .. tostring(mod);
	error("mod_s2s_auth_dane: cannot load the xdane C module for Lua " .. ver .. " (" .. table.concat(tried, "; ") .. ")", 0);
end

local xdane, xdane_path = load_xdane();

-- A Lua helper file next to this module (both install layouts keep them together).
local function load_helper(name)
	local path = (module:get_directory() or ".") .. "/" .. name .. ".lua";
	local f = loadfile(path);
	if not f then return nil; end
	local ok, ret = pcall(f);
	if ok then return ret; end
	log("warn", "Could not load %s: %s", path, tostring(ret));
	return nil;
end

---------------------------------------------------------------------------
-- Configuration (global section). Unknown or malformed values stop the load.
---------------------------------------------------------------------------
local function config_error(fmt, ...)
	error("mod_s2s_auth_dane: " .. fmt:format(...), 0);
end

-- helper - a helper file's table with new(), or a load error naming the file.
local function helper(name)
	local h = load_helper(name);
	if type(h) ~= "table" or type(h.new) ~= "function" then
		config_error("%s.lua not found next to the module in %s", name, tostring(module:get_directory()));
	end
	return h;
end

local uses_list = module:get_option_array("dane_uses", { "DANE-EE", "DANE-TA" });
if #uses_list == 0 then config_error("invalid dane_uses: the list is empty (want DANE-EE, DANE-TA, PKIX-EE, PKIX-TA)"); end
local ok_uses, uses = pcall(xdane.uses, uses_list);
if not ok_uses then config_error("invalid dane_uses: %s", (tostring(uses):gsub("^bad argument #%d+ to '[^']*' %((.*)%)$", "%1"))); end
local uses_text = table.concat(uses_list, ",");

local opt_resolvers = module:get_option_array("dane_resolvers"); -- { "127.0.0.1:53", "[::1]:53" }; default: /etc/resolv.conf
local opt_anchor = module:get_option_string("dane_trust_anchor", "/usr/share/dns/root.key");
local opt_timeout = module:get_option_number("dane_timeout", 5);
local opt_cafile = module:get_option_string("dane_pkix_cafile"); -- nil = system store
local opt_cache = module:get_option_number("dane_cache_size");
local opt_inflight = module:get_option_number("dane_max_inflight");
if not opt_timeout or opt_timeout <= 0 then config_error("dane_timeout must be a positive number of seconds"); end
-- SRV and TLSA are sequential, so a check may wait for two lookups.
local wait_limit = opt_timeout * 2 + 1;

-- Coexistence with Prosody's own use_dane (see README.md, "Coexistence").
local use_dane = module:get_option_boolean("use_dane", false);
if use_dane and is_13 then
	-- 13's mod_s2s_auth_dane_in answers s2s-check-certificate at 800 and stops every
	-- handler below it, so our verdicts would never run for incoming sessions.
	config_error("use_dane = true conflicts with this module on Prosody 13; set use_dane = false");
elseif use_dane then
	log("warn", "use_dane = true: Prosody's own outgoing DANE is superseded by mod_s2s_auth_dane for connections it resolves");
end

local uses_pkix = false;
for _, u in ipairs(uses_list) do
	if tostring(u):upper():match("^PKIX") then uses_pkix = true; end
end

local verifier;
do
	-- "" = no PKIX trust store at all when no PKIX usage is enabled; nil = system store
	local cafile = "";
	if uses_pkix then cafile = opt_cafile; end
	local ok, v = pcall(xdane.verifier, cafile);
	if not ok then config_error("dane_pkix_cafile: %s", tostring(v)); end
	verifier = v;
end

-- Every helper file is loaded before the resolver exists, so a missing one stops
-- the load without leaving a resolver open.
local loop_adapter = helper("xdane_prosody_loop");
local memo_file = helper("s2s_auth_dane_memo");
local facts_file = helper("s2s_auth_dane_facts");
local verdicts_file = helper("s2s_auth_dane_verdicts");
local resolver_file = helper("s2s_auth_dane_resolver");
local shell_file = helper("s2s_auth_dane_shell");

-- the resolver's fd watches and timers on Prosody's net.server and util.timer
local host_loop = loop_adapter.new(server, timer);

local resolver;
do
	local ok, r = pcall(xdane.resolver, {
		upstreams = opt_resolvers;
		trust_anchor = opt_anchor;
		timeout = opt_timeout;
		cache_max = opt_cache;
		max_inflight = opt_inflight;
		loop = host_loop;
		log = function (level, message) log(level, "DANE resolver: %s", tostring(message)); end;
	});
	if not ok then config_error("resolver configuration (dane_resolvers, dane_trust_anchor, dane_timeout): %s", tostring(r)); end
	resolver = r;
end

module:log("info", "DANE enabled: uses %s, resolvers %s, trust anchor %s, timeout %gs, module %s",
	uses_text, opt_resolvers and table.concat(opt_resolvers, ",") or "resolv.conf", opt_anchor, opt_timeout, xdane_path);

---------------------------------------------------------------------------
-- Per-session state. Kept outside the session (weak keys) so a retired
-- session is never written to; s2s-destroyed cancels what is in flight.
---------------------------------------------------------------------------
local states = setmetatable({}, { __mode = "k" });
local counters = { checks = 0, matched = 0, refused = 0, not_applicable = 0, cancelled = 0, memo_hits = 0 };

local memo = memo_file.new(now);

local function get_state(session)
	local st = states[session];
	if not st then
		st = { facts = {}, verdicts = {} };
		states[session] = st;
	end
	return st;
end

local function is_dead(session)
	return session.destroyed or session.type == "s2s_destroyed";
end

local function is_ip(name)
	return name:match("^%d+%.%d+%.%d+%.%d+$") or name:match("^%[") or name:match(":");
end

local function strip_dot(name)
	name = tostring(name or ""):lower();
	if #name > 1 then name = name:gsub("%.$", ""); end
	return name;
end

local facts = facts_file.new({
	resolver = resolver; memo = memo; counters = counters; log = log; async = async;
	add_timer = function (delay, cb) return module:add_timer(delay, cb); end;
	wait_limit = wait_limit; strip_dot = strip_dot;
});
local domain_facts, target_facts, wait_for = facts.domain_facts, facts.target_facts, facts.wait_for;

local verdicts = verdicts_file.new({
	xdane = xdane; verifier = verifier; uses = uses; uses_text = uses_text;
	wait_limit = wait_limit; counters = counters; log = log; is_dead = is_dead;
});
local judge, report, refuse = verdicts.judge, verdicts.report, verdicts.refuse;

-- facts_for - the DNS facts for domain on this session, waiting if needed.
-- Returns facts (done), or nil when the session died while waiting.
local function facts_for(session, domain)
	local st = get_state(session);
	local f = st.facts[domain];
	if not f then
		local conn = session.conn;
		local extra = conn and conn.extra;
		local info = type(extra) == "table" and rawget(extra, "dane");
		if session.direction == "outgoing" and info and info.domain == domain then
			f = target_facts(info);
		else
			f = domain_facts(domain);
		end
		st.facts[domain] = f;
	end
	if not f.done then
		if not wait_for(session, f) and not is_dead(session) then
			-- not in an async context: cannot wait, so cannot decide; fail closed
			f.timed_out = true;
			f:cancel();
		end
	end
	if is_dead(session) then return nil; end
	return f;
end

-- verdict_for - judged once per (session, domain, encrypted?) and logged once.
local function verdict_for(session, domain)
	if is_ip(domain) then return { class = "not applicable", detail = "IP literal, no DNS name" }; end
	local st = get_state(session);
	local key = domain .. (session.secure and "|tls" or "|plain");
	local v = st.verdicts[key];
	if v then return v; end
	local f = facts_for(session, domain);
	if not f then return nil; end
	v = judge(session, f);
	v.domain = domain;
	if f.target then
		v.detail = ("%s via %s:%d"):format(v.detail or "", f.target.target, f.target.port);
	end
	st.verdicts[key] = v;
	st.last = v;
	report(session, domain, v);
	return v;
end

---------------------------------------------------------------------------
-- Hooks
---------------------------------------------------------------------------

-- Start the incoming lookups as soon as the peer names itself.
local function start_early(session, domain)
	if not domain or is_dead(session) then return; end
	local st = get_state(session);
	if not st.facts[domain] then st.facts[domain] = domain_facts(domain); end
end

-- Priority 100: after mod_s2s_auth_certs (509) has set the PKIX statuses, before
-- third-party handlers (0) and mod_s2s's check_auth_policy (-1), which then sees ours.
module:hook("s2s-check-certificate", function (event)
	local session, host = event.session, event.host;
	if not host or is_ip(host) then return; end -- no DNS name, no DANE
	local v = verdict_for(session, host);
	if not v then return false; end -- session died while we waited
	if v.refuse then
		refuse(session, v);
		return false;
	elseif v.matched then
		session.cert_chain_status = "valid";
		session.cert_identity_status = "valid";
		session.dane_verdict = v; -- read by the admin shell
	end
end, 100);

-- Nothing authenticates a session DANE refused or that skipped TLS against
-- published TLSA; this also covers dialback for piggybacked domains.
-- Priority 10: before mod_s2s's make_authenticated (-1).
local function on_authenticated(event)
	local session, host = event.session, event.host;
	if not host or is_ip(host) or is_dead(session) then return; end
	local v = verdict_for(session, host);
	if not v then return false; end
	if v.refuse then
		refuse(session, v);
		return false;
	end
	if v.tls and not session.secure then
		refuse(session, { class = "no TLS", text = "Encryption is required: DANE TLSA records are published for " .. host });
		return false;
	end
end

-- Outgoing stream features without <starttls/> while the target has TLSA:
-- close before dialback runs (mod_tls is at 500, dialback at 100).
local function on_features(event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "s2sout_unauthed" or session.secure then return; end
	if stanza:get_child("starttls", "urn:ietf:params:xml:ns:xmpp-tls") then return; end
	local v = verdict_for(session, session.to_host);
	if not v then return true; end
	if v.refuse or v.tls then
		refuse(session, { class = "no TLS", text = v.text or ("Encryption is required: DANE TLSA records are published for " .. session.to_host) });
		return true;
	end
end

-- Incoming dialback on a stream that skipped TLS, from a domain with TLSA
-- (RFC 7673 s4.1): refuse before mod_dialback (priority 0) verifies the key.
local function on_dialback_result(event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "s2sin_unauthed" or session.secure then return; end
	local domain = stanza.attr and stanza.attr.from;
	if not domain then return; end
	local v = verdict_for(session, domain);
	if not v then return true; end
	if v.refuse or v.tls then
		refuse(session, { class = "no TLS", text = v.text or ("Encryption is required: DANE TLSA records are published for " .. domain) });
		return true;
	end
end

module:hook("s2s-destroyed", function (event)
	local st = states[event.session];
	if not st then return; end
	states[event.session] = nil;
	for _, f in pairs(st.facts) do
		if not f.done then
			-- wake a runner parked in wait_for from a fresh main-loop tick, so it can
			-- see the session is gone and unwind; lookups are cancelled now
			local waiters = f.waiters;
			f.waiters = {};
			f:cancel();
			if #waiters > 0 then
				module:add_timer(0, function ()
					for _, wake in ipairs(waiters) do pcall(wake); end
				end);
			end
		end
	end
end);

---------------------------------------------------------------------------
-- Outgoing: the DANE service resolver (s2s_auth_dane_resolver.lua), put in
-- mod_s2s's path by s2sout-pre-connect or a wrapped service.new.
---------------------------------------------------------------------------
local outgoing = resolver_file.new({
	resolver = resolver; memo = memo; counters = counters; log = log; adns = adns;
	idna_to_ascii = idna_to_ascii; strip_dot = strip_dot; is_ip = is_ip;
	has_pre_connect = has_pre_connect;
	get_option_boolean = function (name, default) return module:get_option_boolean(name, default); end;
	resolvers_service = resolvers_service; resolvers_chain = resolvers_chain;
});
local new_dane_resolver, pre_connect_handler = outgoing.new_dane_resolver, outgoing.pre_connect_handler;

function module.add_host(host_module)
	host_module:hook("s2s-stream-features", function (event)
		local session = event.origin;
		if session.type == "s2sin_unauthed" then start_early(session, session.from_host); end
	end, 1000);
	host_module:hook("s2s-authenticated", on_authenticated, 10);
	host_module:hook("stanza/http://etherx.jabber.org/streams:features", on_features, 600);
	host_module:hook("stanza/jabber:server:dialback:result", on_dialback_result, 1000);
	if pre_connect_handler then host_module:hook("s2sout-pre-connect", pre_connect_handler, 100); end
end

---------------------------------------------------------------------------
-- Admin shell: dane:show([domain]) and dane:stats() (s2s_auth_dane_shell.lua)
---------------------------------------------------------------------------
local shell = shell_file.new({
	shell_env = module:shared("/*/admin_shell/env"); states = states; counters = counters;
	resolver = resolver; is_dead = is_dead;
});
module:hook("module-loaded", function (event)
	if event.module == "admin_shell" then shell.add_show_dane(); end
end);

function module.unload()
	shell.unload();
	outgoing.restore();
	-- parked checks resume with "lookup error", never with "no DANE"
	for _, st in pairs(states) do
		for _, f in pairs(st.facts) do
			if not f.done then f.timed_out = true; f:cancel(); end
		end
	end
	resolver:close();
end

-- for tests with a fake module API
return {
	judge = judge, domain_facts = domain_facts, target_facts = target_facts,
	new_dane_resolver = new_dane_resolver, states = states, counters = counters,
	parse_version = parse_version,
};
