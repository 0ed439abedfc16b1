# assert.sh - log and delivery assertions over the servers' debug logs (sourced).
# A debug log line is "Mon DD HH:MM:SS <source>\t<level>\t<message>"; for session
# lines <source> is the session id (s2sin..., s2sout...).

# e2e_log NAME - path of a server's debug log
e2e_log() { echo "$E2E_DIR/$1/debug.log"; }

# e2e_line NAME ERE - first log line matching ERE
e2e_line() { grep -E -m1 -- "$2" "$(e2e_log "$1")" 2>/dev/null; }

# e2e_sid NAME ERE - session id of the first line matching ERE
e2e_sid() { e2e_line "$1" "$2" | awk '{ print $4 }' | cut -f1; }

# e2e_sid_has NAME SID ERE - some line of session SID matches ERE
e2e_sid_has() { [ -n "$2" ] && grep -E -- " $2[[:space:]].*$3" "$(e2e_log "$1")" >/dev/null 2>&1; }

# expect_log NAME ERE TEXT - TAP: the log of NAME has a line matching ERE
expect_log() {
	local i=0
	# a line may be written just after the event the caller waited for: poll up to 3 s
	until e2e_line "$1" "$2" >/dev/null; do
		i=$((i + 1))
		[ $i -le 30 ] || { tap 1 "$3" "no line /$2/ in $1's log"; return; }
		sleep 0.1
	done
	tap 0 "$3"
}

# expect_no_log NAME ERE TEXT - TAP: no line matches ERE
expect_no_log() {
	local l
	l=$(e2e_line "$1" "$2")
	if [ -z "$l" ]; then tap 0 "$3"; else tap 1 "$3" "unexpected: $l"; fi
}

# expect_count NAME ERE N TEXT - TAP: exactly N lines match ERE
expect_count() {
	local n
	n=$(grep -cE -- "$2" "$(e2e_log "$1")" 2>/dev/null)
	if [ "$n" = "$3" ]; then tap 0 "$4"; else tap 1 "$4" "$n lines /$2/ in $1's log, want $3"; fi
}

# expect_delivered FILE TEXT NAME - TAP: a listener printed TEXT
expect_delivered() {
	if grep -qF -- "$2" "$1" 2>/dev/null; then tap 0 "$3"; else tap 1 "$3" "message '$2' not received"; fi
}

# expect_not_delivered FILE TEXT NAME - TAP: a listener never printed TEXT
expect_not_delivered() {
	if grep -qF -- "$2" "$1" 2>/dev/null; then tap 1 "$3" "message '$2' was received"; else tap 0 "$3"; fi
}

# expect_alive NAME TEXT - TAP: the server process still runs
expect_alive() {
	if kill -0 "$(cat "$E2E_DIR/$1/job.pid" 2>/dev/null)" 2>/dev/null; then tap 0 "$2"; else tap 1 "$2" "prosody $1 is gone"; fi
}

# expect_no_errors NAME TEXT - TAP: no Lua traceback or error-level line in the log
expect_no_errors() {
	local l
	l=$(grep -E -m3 "	error	|Traceback|stack traceback" "$(e2e_log "$1")" 2>/dev/null | grep -v "Error indexing certificate directory")
	if [ -z "$l" ]; then tap 0 "$2"; else tap 1 "$2" "$l"; fi
}
