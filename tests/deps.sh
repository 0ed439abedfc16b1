#!/bin/sh
# deps.sh - make sure the Debian 12 packages we need are present.
#
#   deps.sh build   only name what the build lacks (used by plain `make`)
#   deps.sh test    build + test packages; as root, install the missing ones
#                   without starting their services (used by make check/bench)
# The build needs the default Lua (5.2) and Prosody's (5.4); the tests also
# build 5.1 and 5.3 (make lua-all).
BUILD_PKGS="gcc make libc6-dev pkgconf libssl-dev libgetdns-dev liblua5.2-dev liblua5.4-dev"
TEST_PKGS="liblua5.1-0-dev liblua5.3-dev openssl getdns-utils lua5.1 lua5.2 lua5.3 lua5.4 prosody lua-sec lua-unbound
lua-socket nsd unbound ldnsutils knot-dnsutils go-sendxmpp valgrind iproute2 procps
clang libclang-rt-14-dev"
mode="${1:-test}"
PKGS="$BUILD_PKGS"
[ "$mode" = test ] && PKGS="$BUILD_PKGS $TEST_PKGS"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$mode" != test ] || [ "$(id -u)" != 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "install them with: sudo apt-get install --no-install-recommends$missing" >&2
	[ "$mode" = test ] && echo "(make check installs them itself when run as root)" >&2
	exit 1
fi
echo "installing:$missing"
# Keep package scripts from starting the system nsd, unbound and prosody.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $missing >/tmp/xdane-apt.log 2>&1 ||
	{ apt-get update -q >>/tmp/xdane-apt.log 2>&1 && apt-get install -y -q --no-install-recommends $missing >>/tmp/xdane-apt.log 2>&1; }
rc=$?
[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
if [ $rc != 0 ]; then
	echo "apt-get failed; see /tmp/xdane-apt.log" >&2
	tail -5 /tmp/xdane-apt.log >&2
	exit 1
fi
# The package may have started daemons anyway (systemd hosts): stop them,
# the tests run their own on loopback high ports.
for s in nsd unbound prosody; do
	command -v systemctl >/dev/null 2>&1 && systemctl stop "$s" >/dev/null 2>&1
done
exit 0
