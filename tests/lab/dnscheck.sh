# dnscheck.sh - ask the lab what it says about a name (sourced; needs env.sh).
# Used by lab.sh start (its self-check) and tests/suites/lab-dnssec.sh.
_dnscheck_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# lab_timeout_ms NAME - a client timeout long enough for NAME (slow.example waits
# XDANE_DNS_DELAY_MS; dead.example never answers, so waiting long proves nothing)
lab_timeout_ms() {
	case $1 in
	*slow.example | *slow.example.) echo $((XDANE_DNS_DELAY_MS + 3000)) ;;
	*dead.example | *dead.example.) echo 2000 ;;
	*) echo 4000 ;;
	esac
}

# getdns_status NAME TYPE - "STATUS DETAIL" as getdns sees it: a validating
# stub (it sets CD and validates itself) with the root DS, through the lab unbound.
getdns_status() {
	getdns_query -s -t "$(lab_timeout_ms "$1")" -f "$XDANE_TRUST_ANCHOR" \
		"@$XDANE_DNS_ADDR@$XDANE_RESOLVER_PORT" \
		+dnssec_return_status +dnssec_return_all_statuses "$1" "$2" 2>&1 |
		"$_dnscheck_dir/classify.sh" "$2"
}

# kdig_answer NAME TYPE [KDIG-OPTIONS...] - one line "RCODE FLAGS|RDATA;RDATA..."
# from the lab unbound: RCODE NOERROR/NXDOMAIN/SERVFAIL/... or TIMEOUT, FLAGS the
# header flags (ad when validated secure), RDATA the answer records of TYPE.
kdig_answer() {
	local name=$1 type=$2 t
	shift 2
	t=$(( $(lab_timeout_ms "$name") / 1000 ))
	kdig +time="$t" +retry=0 "@$XDANE_DNS_ADDR" -p "$XDANE_RESOLVER_PORT" "$@" "$name" "$type" 2>&1 |
		awk -v type="$type" '
		/->>HEADER<<-/ { for (i = 1; i <= NF; i++) if ($i == "status:") { rc = $(i + 1); sub(/;$/, "", rc) } }
		/^;; Flags:/ { f = $0; sub(/^;; Flags: /, "", f); sub(/;.*/, "", f); flags = f }
		/^;; ANSWER SECTION:/ { ans = 1; next }
		/^;;/ || /^$/ { ans = 0 }
		ans && $4 == type {
			r = $5; for (i = 6; i <= NF; i++) r = r " " $i
			rd = rd (rd == "" ? "" : ";") toupper(r)
		}
		END { if (rc == "") rc = "TIMEOUT"; print rc " " flags "|" rd }'
}
