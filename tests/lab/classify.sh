#!/bin/sh
# classify.sh - turn getdns_query's pretty-printed response (stdin) into
# "STATUS DETAIL" for the query type TYPE, by the rules of
# getdns-and-openssl.md section 2 (first match wins):
#   no response, or status GETDNS_RESPSTATUS_ALL_TIMEOUT -> indeterminate noanswer
#   any rcode other than NOERROR/NXDOMAIN                -> indeterminate <rcode>
#   any reply BOGUS / INDETERMINATE                      -> bogus / indeterminate
#   all replies SECURE                                   -> secure
#   otherwise                                            -> insecure
# DETAIL (unless noanswer/<rcode>): records if the answer section holds TYPE,
# nxdomain for rcode NXDOMAIN, else nodata.
#
#   getdns_query -s ... +dnssec_return_status +dnssec_return_all_statuses NAME TYPE | classify.sh TYPE
awk -v want="GETDNS_RRTYPE_$1" '
	# Sections of a reply are 6-space keys; answer records sit at 10 spaces.
	/^      "[a-z_]*":/ { in_answer = ($1 == "\"answer\":") }
	in_answer && /^          "type": / { t = $2; sub(/,$/, "", t); if (t == want) records = 1 }
	/^  "status": / { status = $2; sub(/,$/, "", status) }
	/^      "dnssec_status": / {
		d = $2; sub(/,$/, "", d); sub(/GETDNS_DNSSEC_/, "", d); replies++
		if (d == "BOGUS") bogus = 1
		else if (d == "INDETERMINATE") indet = 1
		else if (d != "SECURE") notsecure = 1
	}
	/^        "rcode": / {
		r = $2; sub(/,$/, "", r); sub(/GETDNS_RCODE_/, "", r)
		if (r == "NXDOMAIN") nx = 1
		else if (r != "NOERROR") badrcode = tolower(r)
	}
	END {
		if (status == "" || status == "GETDNS_RESPSTATUS_ALL_TIMEOUT" || replies == 0) { print "indeterminate noanswer"; exit }
		if (badrcode != "") { print "indeterminate " badrcode; exit }
		detail = records ? "records" : (nx ? "nxdomain" : "nodata")
		if (bogus) s = "bogus"
		else if (indet) s = "indeterminate"
		else if (!notsecure) s = "secure"
		else s = "insecure"
		print s " " detail
	}'
