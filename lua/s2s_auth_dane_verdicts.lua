-- s2s_auth_dane_verdicts.lua - mod_s2s_auth_dane: DNS facts and the peer's
-- certificate to a verdict (judge), its log line and counters (report), and the
-- closing of a refused session (refuse).
--
--   local verdicts = dofile(dir .. "/s2s_auth_dane_verdicts.lua").new{ xdane = xdane,
--       verifier = verifier, uses = uses, uses_text = uses_text, wait_limit = seconds,
--       counters = counters, log = log, is_dead = is_dead }
--   verdicts.judge(session, facts) -> verdict; verdicts.report(session, domain, verdict);
--   verdicts.refuse(session, verdict)
local M = {};

function M.new(deps)
	local xdane, verifier, uses, uses_text = deps.xdane, deps.verifier, deps.uses, deps.uses_text;
	local wait_limit, counters, log, is_dead = deps.wait_limit, deps.counters, deps.log, deps.is_dead;

	local function secure_records(facts)
		local records = {};
		for _, t in ipairs(facts.tlsa) do
			if t.status == "secure" then
				for _, rr in ipairs(t.records) do records[#records + 1] = rr; end
			end
		end
		return records;
	end

	local function failure_verdict(facts)
		local f = facts.failures[1];
		local class = f.status == "bogus" and "bogus" or "lookup error";
		local detail = ("%s %s%s"):format(f.what, f.status, f.why and (" (" .. f.why .. ")") or "");
		if #facts.failures > 1 then detail = detail .. (" and %d more"):format(#facts.failures - 1); end
		return { class = class, refuse = true, detail = detail,
			text = ("DANE TLSA lookup for %s failed: %s"):format(facts.domain, detail) };
	end

	local function failed_targets(facts)
		local parts = {};
		for _, f in ipairs(facts.failures) do parts[#parts + 1] = f.what .. " " .. f.status; end
		return table.concat(parts, ", ");
	end

	local function peer_chain(session)
		local sock = session.conn and session.conn.socket and session.conn:socket();
		if not (sock and sock.getpeerchain) then return nil; end
		local chain = sock:getpeerchain();
		if type(chain) ~= "table" or #chain == 0 then return nil; end
		return chain;
	end

	-- record_kinds - "3 0 1, 2 1 1": the distinct usage/selector/matching types of records.
	local function record_kinds(records)
		local kinds, seen = {}, {};
		for _, rec in ipairs(records) do
			local k = ("%d %d %d"):format(rec.usage, rec.selector, rec.mtype);
			if not seen[k] then seen[k] = true; kinds[#kinds + 1] = k; end
		end
		table.sort(kinds);
		return table.concat(kinds, ", ");
	end

	-- judge - facts (+ the session's TLS state and chain) to a verdict.
	local function judge(session, facts)
		if facts.timed_out or facts.cancelled then
			-- unanswered (or abandoned, e.g. module unload) lookups are never "no DANE"
			return { class = "lookup error", refuse = true, detail = ("no DNS answer within %gs"):format(wait_limit),
				text = ("DANE TLSA lookup for %s failed: timeout"):format(facts.domain) };
		end
		local records = secure_records(facts);
		if not session.secure then
			if #records > 0 then
				return { class = "no TLS", refuse = true, tls = true,
					detail = ("%d secure TLSA records published, stream not encrypted"):format(#records),
					text = "Encryption is required: DANE TLSA records are published for " .. facts.domain };
			elseif #facts.failures > 0 then
				return failure_verdict(facts);
			end
		elseif #records > 0 then
			local chain = peer_chain(session);
			if not chain then
				return { class = "mismatch", refuse = true, detail = "no certificate presented",
					text = "No certificate presented, but DANE TLSA records are published for " .. facts.domain };
			end
			-- pcall: a raising verifier must end in a refusal, never in a stuck runner
			local pok, ok, reason, info = pcall(verifier.verify, verifier, {
				records = records, chain = chain, names = facts.names, uses = uses,
				role = session.direction == "outgoing" and "server" or "client",
			});
			if not pok then ok, reason = nil, ok; end
			if ok then
				local detail = ("%s record %s at depth %d"):format(reason.usage_name or xdane.usage_name(reason.usage),
					tostring(reason.record or reason.text), reason.depth or 0);
				if #facts.failures > 0 then detail = detail .. "; ignored failing " .. failed_targets(facts); end
				return { class = "matched", matched = true, detail = detail, record = tostring(reason.record), usage = reason.usage_name };
			elseif ok == false and reason == "no usable records" then
				if #facts.failures > 0 then return failure_verdict(facts); end
				return { class = "no usable records", tls = true,
					detail = ("%d TLSA records, none usable with dane_uses %s; TLS stays mandatory"):format(#records, uses_text) };
			elseif ok == false then
				-- Name the kinds published (F14d: "only 3 0 1 published", not "no TLSA"),
				-- and the verifier's reason when it is more than "no match".
				local why = reason ~= "no match" and (info and info.text or reason) or nil;
				return { class = "mismatch", refuse = true,
					detail = ("certificate does not match any of %d usable TLSA records (published: %s)%s"):format(
						info and info.usable or #records, record_kinds(records), why and ("; " .. tostring(why)) or ""),
					text = "Your server's certificate does not match any DANE TLSA records" };
			else
				return { class = "lookup error", refuse = true, detail = "verifier error: " .. tostring(reason),
					text = "DANE verification failed (internal error)" };
			end
		end
		if #facts.failures > 0 then return failure_verdict(facts); end
		if #facts.insecure > 0 then
			return { class = "insecure", detail = "DANE not applicable: " .. table.concat(facts.insecure, ", ") .. " insecure" };
		end
		return { class = "no TLSA", detail = "DANE not applicable: no TLSA records (secure denial)" };
	end

	local function report(session, domain, v)
		local line = "DANE %s %s: %s: %s";
		local level = v.refuse and "warn" or "info";
		(session.log or log)(level, line, session.direction or "?", domain or "?", v.class, v.detail or "");
		counters.checks = counters.checks + 1;
		if v.refuse then counters.refused = counters.refused + 1;
		elseif v.matched then counters.matched = counters.matched + 1;
		else counters.not_applicable = counters.not_applicable + 1; end
	end

	local function refuse(session, v)
		if is_dead(session) then return; end
		local condition = v.class == "no TLS" and "policy-violation" or "not-authorized";
		session:close({ condition = condition, text = v.text or v.detail }, nil, v.text or v.detail);
	end

	return { judge = judge, report = report, refuse = refuse };
end

return M;
