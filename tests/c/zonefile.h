/* SPDX-License-Identifier: MIT */
/* zonefile.h - the RRs of a zone-format file (signed test zones, anchor files) in C tests. */
#ifndef XDANE_ZONEFILE_H
#define XDANE_ZONEFILE_H
#include <stdio.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

/* read_rrs - the RRs of a zone-format file; NULL on error. */
static inline getdns_list *read_rrs(const char *path)
{
	FILE *fp = fopen(path, "r");
	getdns_list *l = NULL;
	if (!fp)
		return NULL;
	if (getdns_fp2rr_list(fp, &l, NULL, 3600) != GETDNS_RETURN_GOOD) {
		getdns_list_destroy(l);
		l = NULL;
	}
	fclose(fp);
	return l;
}

#endif
