/* SPDX-License-Identifier: MIT */
/*
 * xdane.h - the C core of mod_s2s_auth_dane: TLSA records, DANE verification
 * of received chains, DNSSEC-validated SRV/TLSA lookups, host event loops.
 * No Lua types anywhere in the core.
 */
#ifndef XDANE_H
#define XDANE_H

#include "xdane_tlsa.h"
#include "xdane_verify.h"
#include "xdane_evloop.h"
#include "xdane_resolver.h"

#endif
