#!/bin/bash
# bench-resolver.sh - SRV then TLSA lookups for 1000 distinct, separately
# signed domains (zNNNN.bench.example) inside Prosody's event loop
# (net.server_epoll, Lua 5.4): xdane.resolver through our getdns bridge vs
# the reference, lua-unbound driven as Prosody's net.unbound drives it.
# Both use the same freshly started lab resolver (unbound, own ports), each
# side in its own process: an uncached pass, then a cached (repeat) pass.
# Prints rates, ratios, peak memory (VmHWM) and the longest loop stall.
#
# The lab resolver is warmed once first (an unmeasured lua-unbound pass), so
# both sides meet the same warm upstream; rounds alternate the order.
# XDANE_BENCH_ROUNDS (default 3: a round can swing by 20%) rounds; medians are reported.
# XDANE_BENCH_KEY_CACHE=0 turns the resolver's key cache off: getdns' own chain
# fetch for every name, to see what the offline path (resolver_offline.h) saves.
# XDANE_BENCH_INFLIGHT=N sets the resolver's max_inflight (default 64).
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${XDANE_BUILD:-build}
ROUNDS=${XDANE_BENCH_ROUNDS:-3}
export XDANE_LAB_DIR="${XDANE_BENCH_LAB_DIR:-/tmp/xdane-bench-resolver-$(id -u)}"
export XDANE_NSD_PORT=${XDANE_BENCH_PORT_BASE:-25300}
export XDANE_DELAY_PORT=$((XDANE_NSD_PORT + 1)) XDANE_DEAD_PORT=$((XDANE_NSD_PORT + 2))
export XDANE_REFUSE_PORT=$((XDANE_NSD_PORT + 3)) XDANE_RESOLVER_PORT=$((XDANE_NSD_PORT + 53))
export XDANE_LAB_BENCH=1
. tests/lab/env.sh
[ -f "$B/5.4/xdane.so" ] || { echo "bench-resolver: $B/5.4/xdane.so missing (make)"; exit 1; }
lua5.4 -e 'require "lunbound"' 2>/dev/null || { echo "bench-resolver: lua-unbound (lunbound) missing"; exit 1; }
out=$(mktemp -d "${TMPDIR:-/tmp}/xdane-bres.XXXXXX")
stop() { tests/lab/lab.sh stop >"$out/lab-stop.log" 2>&1; rm -rf "$out"; }
trap stop EXIT
echo "starting lab with 1000 bench zones (ports $XDANE_NSD_PORT.., resolver $XDANE_RESOLVER_PORT)"
tests/lab/lab.sh start >"$out/lab-start.log" 2>&1 || { tail -20 "$out/lab-start.log"; exit 1; }
domains="$XDANE_LAB_DIR/bench-domains.txt"
run() { LUA_PATH="lua/?.lua;;" LUA_CPATH="$B/5.4/?.so;;" lua5.4 tests/bench/bench_resolver.lua "$1" "$XDANE_UPSTREAM" "$XDANE_TRUST_ANCHOR" "$domains" 2; }
run unbound >/dev/null 2>&1 # warm the lab resolver
for i in $(seq "$ROUNDS"); do
	if [ $((i % 2)) = 1 ]; then order="xdane unbound"; else order="unbound xdane"; fi
	for side in $order; do run "$side" >>"$out/results" 2>>"$out/errors" || echo "bench-resolver: $side failed"; done
done
[ -s "$out/errors" ] && { echo "# stderr:"; sed 's/^/#   /' "$out/errors" | head -10; }
awk '
function med(key,    n, i, j, t, a) {
	n = cnt[key]; if (!n) return 0
	for (i = 1; i <= n; i++) a[i] = v[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function put(key, val) { cnt[key]++; v[key, cnt[key]] = val }
{
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if ($1 == "pass") {
		put(f["side"] "." f["pass"] ".rate", f["rate"]); put(f["side"] "." f["pass"] ".stall", f["max_stall_ms"])
		put(f["side"] "." f["pass"] ".cstall", f["max_stall_cpu_ms"])
		put(f["side"] "." f["pass"] ".secure", f["secure"])
	} else if ($1 == "process") {
		put(f["side"] ".hwm", f["vmhwm_kb"]); put(f["side"] ".cpu", f["cpu_s"])
	}
	delete f
}
END {
	printf "%-10s %-26s %10s %7s %14s %13s %7s\n", "pass", "path", "domains/s", "ratio", "stall ms wall", "stall ms cpu", "secure"
	for (p = 1; p <= 2; p++) {
		pass = p == 1 ? "uncached" : "cached"
		ref = med("unbound." pass ".rate"); ours = med("xdane." pass ".rate")
		printf "%-10s %-26s %10.0f %7s %14.2f %13.2f %7d\n", pass, "reference: lua-unbound", ref, "1.00", med("unbound." pass ".stall"), med("unbound." pass ".cstall"), med("unbound." pass ".secure")
		printf "%-10s %-26s %10.0f %7.2f %14.2f %13.2f %7d\n", pass, "xdane (getdns bridge)", ours, ref ? ours / ref : 0, med("xdane." pass ".stall"), med("xdane." pass ".cstall"), med("xdane." pass ".secure")
	}
	hr = med("unbound.hwm"); hx = med("xdane.hwm")
	printf "peak memory (VmHWM, whole Lua process): lua-unbound %d KiB, xdane %d KiB, ratio %.2f\n", hr, hx, hr ? hx / hr : 0
	printf "CPU per process (both passes, all threads): lua-unbound %.2f s, xdane %.2f s\n", med("unbound.cpu"), med("xdane.cpu")
	printf "targets: uncached >= 1.00, cached >= 10.00, memory ratio <= 1.00, stall <= 5 ms (one SRV+TLSA per domain; %d rounds, medians)\n", cnt["xdane.uncached.rate"]
	printf "stall: longest single loop callback; wall includes time descheduled on a busy machine; cpu is process CPU time (lua-unbound: includes its resolver thread)\n"
}' "$out/results"
