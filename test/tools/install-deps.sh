#!/usr/bin/env bash
# Installs what tiktrack needs to build, test and demo on Debian 12:
# PostgreSQL 15 and its server headers, libcurl, OpenSSL, the TAP test
# modules, clang for the fuzzers, the Python packages the benchmark
# baseline uses, and headless Chromium with a font to render the SVG
# charts in a test.  Does nothing when everything is already there.
set -euo pipefail

packages=(
	postgresql-15 postgresql-server-dev-15 postgresql-contrib
	libcurl4-openssl-dev libssl-dev openssl ca-certificates
	libipc-run-perl make gcc clang libclang-rt-dev llvm curl
	python3 python3-psycopg2 python3-requests rsync util-linux
	chromium fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tiktrack: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian package starts a cluster of its own on 5432; tiktrack's tests
# and demo never use it.
