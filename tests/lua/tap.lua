-- tap.lua - minimal TAP output for Lua specs: "ok N - name" / "not ok N - name".
local tap = { n = 0, failed = 0 }

function tap.ok(cond, name, diag)
	tap.n = tap.n + 1
	io.write(cond and "" or "not ", "ok ", tap.n, " - ", name, "\n")
	if not cond then
		tap.failed = tap.failed + 1
		if diag ~= nil then io.write("# ", tostring(diag), "\n") end
	end
	io.stdout:flush()
	return cond
end

function tap.is(got, want, name)
	return tap.ok(got == want, name, ("got %s, want %s"):format(tostring(got), tostring(want)))
end

-- tap.raises - f must raise an error whose message contains pattern (plain).
function tap.raises(f, pattern, name)
	local ok, err = pcall(f)
	return tap.ok(not ok and (pattern == nil or tostring(err):find(pattern, 1, true) ~= nil), name, err)
end

function tap.done()
	io.write("1..", tap.n, "\n")
	os.exit(tap.failed == 0 and 0 or 1)
end

return tap
