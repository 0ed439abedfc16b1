-- s2s_auth_dane_shell.lua - mod_s2s_auth_dane: admin shell commands
-- dane:show([domain]) and dane:stats(), and s2s:show_dane(domain).
--
--   local shell = dofile(dir .. "/s2s_auth_dane_shell.lua").new{
--       shell_env = module:shared("/*/admin_shell/env"), states = states,
--       counters = counters, resolver = r, is_dead = is_dead }
--   shell.add_show_dane()  -- again when mod_admin_shell loads after us
--   shell.unload()         -- remove the commands
local M = {};

function M.new(deps)
	local shell_env, states, counters, resolver, is_dead = deps.shell_env, deps.states, deps.counters, deps.resolver, deps.is_dead;

	local function peer_of(session)
		if session.direction == "outgoing" then return session.to_host; end
		return session.from_host;
	end

	local function session_rows(filter)
		local rows = {};
		for session, st in pairs(states) do
			if not is_dead(session) then
				local remote = peer_of(session);
				if not filter or remote == filter or session.from_host == filter or session.to_host == filter then
					local v = st.last;
					local pending = false;
					for _, f in pairs(st.facts) do if not f.done then pending = true; end end
					rows[#rows + 1] = {
						id = session.id or "?", dir = session.direction or "?",
						from = session.from_host or "?", to = session.to_host or "?",
						type = session.type or "?", secure = session.secure and "tls" or "plain",
						state = pending and "pending" or (v and v.class or "not checked"),
						detail = v and v.detail or "",
					};
				end
			end
		end
		table.sort(rows, function (a, b) return a.id < b.id; end);
		return rows;
	end

	shell_env.dane = {
		show = function (self, domain)
			local print = self.session.print;
			local rows = session_rows(domain);
			for _, r in ipairs(rows) do
				print(("%s %-8s %s -> %s [%s, %s] DANE %s: %s"):format(r.id, r.dir, r.from, r.to, r.type, r.secure, r.state, r.detail));
			end
			return true, ("%d s2s sessions with DANE state shown"):format(#rows);
		end;
		stats = function (self)
			local print = self.session.print;
			local s = resolver:stats();
			local keys = {};
			for k in pairs(s) do keys[#keys + 1] = k; end
			table.sort(keys);
			for _, k in ipairs(keys) do print(("resolver.%s = %s"):format(k, tostring(s[k]))); end
			for _, k in ipairs({ "checks", "matched", "refused", "not_applicable", "cancelled", "memo_hits" }) do
				print(("checks.%s = %d"):format(k, counters[k]));
			end
			local live = 0;
			for _ in pairs(states) do live = live + 1; end
			print(("sessions.tracked = %d"):format(live));
			return true, "DANE statistics";
		end;
	};

	-- The old community module's command, added to mod_admin_shell's s2s section
	-- whichever of the two modules loads first.
	local function show_dane(self, domain) return shell_env.dane.show(self, domain); end
	local function add_show_dane()
		if type(shell_env.s2s) == "table" and shell_env.s2s.show_dane == nil then
			shell_env.s2s.show_dane = show_dane;
		end
	end
	add_show_dane();

	-- unload - remove both commands (s2s:show_dane only if it is still ours)
	local function unload()
		if type(shell_env.s2s) == "table" and shell_env.s2s.show_dane == show_dane then
			shell_env.s2s.show_dane = nil;
		end
		shell_env.dane = nil;
	end

	return { add_show_dane = add_show_dane, unload = unload };
end

return M;
