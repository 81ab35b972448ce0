#!/usr/bin/env bash
# Builds Citus 13.2.2 from the vendored source and installs it into the
# PostgreSQL that `pg_config` names (or into a copy of it under DESTDIR).
#
# Usage: build-citus.sh [DESTDIR]
#   DESTDIR   root of a private copy of PostgreSQL's files, as made by
#             run-tests.sh for TIKTRACK_PG_ROOT; without it, Citus goes into
#             the system's PostgreSQL (needs root or sudo).
#
# Citus is an optional dependency (scale-out tests, test/t/090_citus.pl);
# tiktrack does not link it.  No reachable package registry carries it, so
# the project builds it from ../shared/vendor/citus-13.2.2-notest.tar.gz
# (upstream tag v13.2.2 without its regression suite), after applying
# test/tools/citus-pg15.20.patch (Citus' copy of have_createdb_privilege()
# clashes with the one 15.20's headers declare).
#
# The build is cached per machine: the compiled files are staged under
# $CITUS_CACHE_DIR/<key>, the key covering the tarball's and the patch's
# sha256 and the PostgreSQL version, so later runs only copy the staged
# files (a second or so).  Environment:
#   CITUS_TARBALL    the source tarball (default: the vendored one)
#   CITUS_CACHE_DIR  the cache (default /var/cache/tiktrack-citus as root,
#                    else /tmp/tiktrack-citus-cache-$UID)
#   CITUS_JOBS       make -j (default: number of cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

destdir=${1:-}
[ -n "$destdir" ] && destdir=$(realpath -m "$destdir")
tarball=${CITUS_TARBALL:-$top/../shared/vendor/citus-13.2.2-notest.tar.gz}
tarball_sha256=029ac92b200cb825de0560f6a18b98a91579d6678673250da01542d6c33f4d86
patch_file=$top/test/tools/citus-pg15.20.patch
jobs=${CITUS_JOBS:-$(nproc)}

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ -z "${CITUS_CACHE_DIR:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		CITUS_CACHE_DIR=/var/cache/tiktrack-citus
	else
		CITUS_CACHE_DIR=/tmp/tiktrack-citus-cache-$(id -u)
	fi
fi

die() {
	echo "build-citus: $*" >&2
	exit 1
}

[ -r "$tarball" ] || die "no Citus source at $tarball"
sha=$(sha256sum "$tarball" | cut -d' ' -f1)
[ -n "${CITUS_TARBALL:-}" ] || [ "$sha" = "$tarball_sha256" ] ||
	die "$tarball has sha256 $sha, expected $tarball_sha256"

# Citus' compression (columnar) and GSSAPI support need these headers.
packages=(liblz4-dev libzstd-dev libkrb5-dev)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "build-citus: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

pg_version=$(pg_config --version)
key=$(printf '%s\n%s\n%s\n' "$sha" "$(sha256sum "$patch_file" | cut -d' ' -f1)" "$pg_version" |
	sha256sum | cut -c1-16)
cache=$CITUS_CACHE_DIR/$key
mkdir -p "$CITUS_CACHE_DIR"

# One build at a time per cache (several work trees may ask at once).
exec 8>"$CITUS_CACHE_DIR/lock"
flock 8

if [ ! -e "$cache/complete" ]; then
	echo "build-citus: building Citus from $(basename "$tarball") for $pg_version (make -j$jobs)"
	start=$(date +%s)
	rm -rf "$cache"
	mkdir -p "$cache"
	tar -xzf "$tarball" -C "$cache"
	src=$(find "$cache" -mindepth 1 -maxdepth 1 -type d -name 'citus-*' | head -n 1)
	[ -n "$src" ] || die "$tarball holds no citus-* directory"
	(
		cd "$src"
		patch -p1 -s <"$patch_file"
		# --without-libcurl: no usage statistics sent home from test clusters.
		./configure --without-libcurl >"$cache/configure.log" 2>&1 ||
			{ tail -n 40 "$cache/configure.log" >&2; exit 1; }
		make -j"$jobs" >"$cache/make.log" 2>&1 ||
			{ grep -E 'error|Error' "$cache/make.log" | head -n 40 >&2; exit 1; }
		make install DESTDIR="$cache/stage" >"$cache/install.log" 2>&1 ||
			{ tail -n 40 "$cache/install.log" >&2; exit 1; }
	) || die "build failed (logs in $cache)"
	rm -rf "$src"
	touch "$cache/complete"
	echo "build-citus: built in $(($(date +%s) - start)) s"
fi

# Install: unpack the staged files over the target tree (existing
# directories keep their owner, mode and times).
target=${destdir:-/}
[ -n "$destdir" ] && mkdir -p "$destdir"
copy=(tar -C "$target" -xf - --no-overwrite-dir --no-same-owner)
[ -z "$destdir" ] && copy=($SUDO "${copy[@]}")
tar -C "$cache/stage" -cf - . | "${copy[@]}"
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$cache"/stage/usr/share/postgresql/*/extension/citus.control)
echo "build-citus: Citus $version installed into ${destdir:-the system PostgreSQL}"
