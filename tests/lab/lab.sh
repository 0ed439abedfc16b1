#!/bin/bash
# lab.sh - the hermetic DNSSEC lab: NSD (authoritative for a private signed
# tree), Unbound (validating forwarder) and three misbehaving DNS servers
# (build/tools/dnsproxy), all on loopback ports from env.sh.
#
#   tests/lab/lab.sh start    wipe $XDANE_LAB_DIR, generate PKI, keys and zones,
#                             start the servers, check every expected status
#   tests/lab/lab.sh stop     stop what start started; nonzero if any remains
#   tests/lab/lab.sh status   which servers run; nonzero unless all do
#
# XDANE_LAB_BENCH=1 adds the 1000 zNNNN.bench.example zones for benchmarks.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=env.sh
. "$here/env.sh"
# shellcheck source=dnscheck.sh
. "$here/dnscheck.sh"
L=${XDANE_LAB_DIR%/}
A=$XDANE_DNS_ADDR
PROXY="$root/${XDANE_BUILD:-build}/tools/dnsproxy"
DAEMONS="nsd unbound delay dead refuse"

# die MESSAGE - fail; a start that fails halfway leaves nothing running
die() {
	echo "lab.sh: $*" >&2
	[ "${starting:-0}" = 1 ] && { starting=0; do_stop >&2; }
	exit 1
}

# port_busy PORT - true if something listens on PORT (TCP or UDP, any address)
port_busy() {
	[ -n "$(ss -Hlntu "sport = :$1" 2>/dev/null)" ] && return 0
	# Fallback where ss cannot see sockets: a TCP connect probe.
	(exec 3<>"/dev/tcp/$A/$1") 2>/dev/null
}

# pid_of NAME - pid recorded for daemon NAME, empty if none
pid_of() { cat "$L/$1.pid" 2>/dev/null | head -1 | tr -dc 0-9; }

# alive PID - true while process PID exists (and is not a zombie)
alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# ours PID - true if PID is a lab process of this lab directory (a stale pid
# file must never make us signal an unrelated process)
ours() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$L/"; }

# wait_answer PORT NAME TYPE TRIES - poll with kdig until the server answers
wait_answer() {
	local i=0
	while [ $i -lt "$4" ]; do
		kdig +time=1 +retry=0 "@$A" -p "$1" "$2" "$3" 2>/dev/null | grep -q 'status: ' && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

write_nsd_conf() {
	{
		cat <<-EOF
		server:
		  ip-address: $A@$XDANE_NSD_PORT
		  port: $XDANE_NSD_PORT
		  do-ip4: yes
		  do-ip6: no
		  username: ""
		  chroot: ""
		  database: ""
		  zonesdir: "$L/zones"
		  zonelistfile: "$L/nsd.zonelist"
		  xfrdfile: "$L/nsd.xfrd.state"
		  xfrdir: "$L/nsd.xfr"
		  pidfile: "$L/nsd.pid"
		  logfile: "$L/nsd.log"
		  server-count: 1
		  verbosity: 1
		  hide-version: yes
		  refuse-any: no
		  tcp-count: 256
		remote-control:
		  control-enable: no
		EOF
		while read -r name file; do
			printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$name" "$file"
		done <"$L/zones.list"
	} >"$L/nsd.conf"
	nsd-checkconf "$L/nsd.conf" || die "nsd-checkconf failed for $L/nsd.conf"
}

write_unbound_conf() {
	cat >"$L/unbound.conf" <<-EOF
	server:
	  interface: $A@$XDANE_RESOLVER_PORT
	  port: $XDANE_RESOLVER_PORT
	  do-ip4: yes
	  do-ip6: no
	  do-udp: yes
	  do-tcp: yes
	  do-daemonize: yes
	  username: ""
	  chroot: ""
	  directory: "$L"
	  pidfile: "$L/unbound.pid"
	  logfile: "$L/unbound.log"
	  use-syslog: no
	  verbosity: 1
	  val-log-level: 2
	  num-threads: 1
	  so-reuseport: no
	  outgoing-interface: $A
	  access-control: 127.0.0.0/8 allow
	  # Unbound never queries 127.0.0.0/8 unless told to; every lab server is there.
	  do-not-query-localhost: no
	  module-config: "validator iterator"
	  trust-anchor-file: "$L/root.ds"
	  trust-anchor-signaling: no
	  root-key-sentinel: no
	  harden-referral-path: no
	  qname-minimisation: no
	  # Failures and denials must not linger between test cases.
	  cache-max-negative-ttl: 5
	  val-bogus-ttl: 5
	  infra-host-ttl: 10
	  # Above the delaying proxy's delay, or slow.example could never answer.
	  infra-cache-max-rtt: $((XDANE_DNS_DELAY_MS * 2 + 1000))
	  # Debian's unbound 1.17.1 drops the reply to any query that took longer
	  # than discard-timeout (1.9 s), and limits replies waiting per client
	  # address to wait-limit (1000): slow.example and the 1000-lookup tests
	  # would silently time out.
	  discard-timeout: 0
	  wait-limit: 0
	  # Bursts of a thousand lookups (benchmarks, concurrency tests).
	  so-rcvbuf: 4m
	  num-queries-per-thread: 4096
	  outgoing-range: 8192
	  jostle-timeout: 1000
	remote-control:
	  control-enable: no
	# Everything goes to the lab's NSD; nothing can reach the real root.
	forward-zone:
	  name: "."
	  forward-addr: $A@$XDANE_NSD_PORT
	forward-zone:
	  name: "slow.example"
	  forward-addr: $A@$XDANE_DELAY_PORT
	forward-zone:
	  name: "dead.example"
	  forward-addr: $A@$XDANE_DEAD_PORT
	forward-zone:
	  name: "refused.example"
	  forward-addr: $A@$XDANE_REFUSE_PORT
	EOF
	unbound-checkconf "$L/unbound.conf" >/dev/null || die "unbound-checkconf failed for $L/unbound.conf"
}

# check_zones_loaded - NSD read every zone of zones.list (it logs each one)
check_zones_loaded() {
	local want got i=0
	want=$(wc -l <"$L/zones.list")
	while got=$(grep -c 'read with success' "$L/nsd.log") && [ "$got" -lt "$want" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$got" -ge "$want" ] || die "NSD loaded $got of $want zones: $(grep -i -m3 error "$L/nsd.log")"
}

# verify - the statuses every other test relies on
verify() {
	local bad=0 got want name type
	while read -r name type want; do
		[ -n "$name" ] || continue
		got=$(getdns_status "$name" "$type")
		if [ "$got" != "$want" ]; then
			echo "lab.sh: $name $type: expected '$want', got '$got'" >&2
			bad=1
		fi
	done <<-EOF
	_5269._tcp.xmpp.a.example TLSA secure records
	_xmpp-server._tcp.b.example SRV secure records
	_5269._tcp.xmpp.insecure.example TLSA insecure records
	_5269._tcp.xmpp.bogus.example TLSA bogus records
	_5269._tcp.xmpp.badsig.example TLSA bogus records
	_5269._tcp.xmpp.expired.example TLSA bogus records
	nonexistent.a.example A secure nxdomain
	_5269._tcp.xmpp.refused.example TLSA indeterminate servfail
	$([ "${XDANE_LAB_BENCH:-0}" = 1 ] && echo "_5269._tcp.xmpp.z0999.bench.example TLSA secure records")
	EOF
	# The misbehaving servers, asked directly.
	kdig +time=1 +retry=0 "@$A" -p "$XDANE_REFUSE_PORT" refused.example SOA 2>&1 | grep -q 'status: REFUSED' ||
		{ echo "lab.sh: the refusing server does not answer REFUSED" >&2; bad=1; }
	kdig +time=2 +retry=0 "@$A" -p "$XDANE_DELAY_PORT" slow.example DNSKEY 2>&1 | grep -q 'status: NOERROR' ||
		{ echo "lab.sh: the delaying proxy does not relay NSD's answers" >&2; bad=1; }
	return $bad
}

# start_proxy NAME MODE PORT [ARGS...] - one dnsproxy in the background
start_proxy() {
	local name=$1 mode=$2 port=$3
	shift 3
	"$PROXY" -m "$mode" -l "$A" -p "$port" -P "$L/$name.pid" "$@" </dev/null >>"$L/$name.log" 2>&1 &
}

# wait_pidfile NAME - wait until a proxy has bound its sockets (it then writes its pid file)
wait_pidfile() {
	local i=0
	while [ ! -s "$L/$1.pid" ] && [ $i -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
	alive "$(pid_of "$1")" || die "dnsproxy $1 failed to start, see $L/$1.log"
}

# start_daemons - NSD, unbound and the proxies; stdio never tied to our caller
start_daemons() {
	start_proxy delay delay "$XDANE_DELAY_PORT" -u "$A" -U "$XDANE_NSD_PORT" -d "$XDANE_DNS_DELAY_MS"
	start_proxy dead dead "$XDANE_DEAD_PORT"
	start_proxy refuse refuse "$XDANE_REFUSE_PORT"
	nsd -c "$L/nsd.conf" </dev/null >>"$L/nsd.log" 2>&1 || die "nsd failed to start, see $L/nsd.log"
	unbound -c "$L/unbound.conf" </dev/null >>"$L/unbound.log" 2>&1 || die "unbound failed to start, see $L/unbound.log"
	wait_pidfile delay
	wait_pidfile dead
	wait_pidfile refuse
}

# build_proxy - make sure build/tools/dnsproxy is there and current
build_proxy() {
	make --no-print-directory -C "$root" B="${XDANE_BUILD:-build}" "${XDANE_BUILD:-build}/tools/dnsproxy" >"$L/make.log" 2>&1 ||
		die "cannot build $PROXY, see $L/make.log"
}

do_start() {
	local p t0 zones
	t0=$(date +%s%N)
	trap 'die "interrupted"' INT TERM
	case $A in 127.*) ;; *) die "XDANE_DNS_ADDR=$A is not in 127.0.0.0/8: the lab listens on loopback only" ;; esac
	for p in "$XDANE_NSD_PORT" "$XDANE_RESOLVER_PORT" "$XDANE_DELAY_PORT" "$XDANE_DEAD_PORT" "$XDANE_REFUSE_PORT"; do
		port_busy "$p" && die "port $p on $A is already in use (set XDANE_*_PORT in the environment, see tests/lab/env.sh; a leftover lab is stopped by tests/lab/lab.sh stop with its XDANE_LAB_DIR)"
	done
	for p in nsd unbound kdig getdns_query ldns-signzone ldns-keygen ldns-key2ds openssl; do
		command -v "$p" >/dev/null || die "$p not found (run tests/deps.sh)"
	done
	# Never wipe something that is not a lab directory.
	if [ -e "$L" ] && [ ! -e "$L/.xdane-lab" ] && [ -n "$(ls -A "$L" 2>/dev/null)" ]; then
		die "$L exists and is not a lab directory; refusing to wipe it"
	fi
	do_stop >/dev/null 2>&1
	starting=1
	rm -rf "$L"
	mkdir -p "$L" || die "cannot create $L"
	touch "$L/.xdane-lab"
	build_proxy
	"$here/zones.sh" || die "zone generation failed"
	write_nsd_conf
	write_unbound_conf
	start_daemons
	wait_answer "$XDANE_NSD_PORT" . SOA 50 || die "NSD does not answer on $A@$XDANE_NSD_PORT, see $L/nsd.log"
	wait_answer "$XDANE_RESOLVER_PORT" . SOA 50 || die "unbound does not answer on $A@$XDANE_RESOLVER_PORT, see $L/unbound.log"
	check_zones_loaded
	verify || die "the lab does not answer as designed (see above)"
	env | grep '^XDANE_' | sort >"$L/env.txt"
	t0=$(( ($(date +%s%N) - t0) / 1000000 ))
	printf 'lab.sh: lab up in %s (%d.%03d s)\n' "$L" $((t0 / 1000)) $((t0 % 1000))
}

# lab_processes - pids of nsd, unbound and dnsproxy processes naming this lab directory
lab_processes() {
	local p
	for p in $(pgrep -f -- "$L/" 2>/dev/null); do
		case $(ps -o comm= -p "$p" 2>/dev/null) in nsd* | unbound | dnsproxy) echo "$p" ;; esac
	done
}

do_stop() {
	local d p pids="" rc=0 i stray
	for d in $DAEMONS; do
		p=$(pid_of "$d")
		alive "$p" && ours "$p" && kill -TERM "$p" 2>/dev/null && pids="$pids $d:$p"
	done
	for dp in $pids; do
		d=${dp%%:*} p=${dp#*:} i=0
		while alive "$p" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		if alive "$p"; then
			echo "lab.sh: $d (pid $p) did not exit on TERM within 10 s; killing it" >&2
			kill -KILL "$p" 2>/dev/null
			rc=1
		fi
	done
	for d in $DAEMONS; do rm -f "$L/$d.pid"; done
	# Children (NSD's server and xfrd, proxy helpers) name the lab directory
	# too; give them a moment to follow their parent.
	i=0
	while stray=$(lab_processes) && [ -n "$stray" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
	if [ -n "$stray" ]; then
		echo "lab.sh: processes still running after stop (now sent TERM):" >&2
		ps -o pid=,args= -p "$(echo $stray | tr ' ' ,)" >&2 2>/dev/null
		kill -TERM $stray 2>/dev/null
		rc=1
	fi
	return $rc
}

do_status() {
	local d p rc=0
	for d in $DAEMONS; do
		p=$(pid_of "$d")
		if alive "$p"; then echo "$d running (pid $p)"; else echo "$d not running"; rc=1; fi
	done
	wait_answer "$XDANE_NSD_PORT" . SOA 1 || { echo "nsd does not answer on $A@$XDANE_NSD_PORT"; rc=1; }
	wait_answer "$XDANE_RESOLVER_PORT" . SOA 1 || { echo "unbound does not answer on $A@$XDANE_RESOLVER_PORT"; rc=1; }
	return $rc
}

case "${1:-}" in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
