#!/usr/bin/env bash
# Builds a private copy of the machine's PostgreSQL installation under DEST
# with this tree's tiktrack installed into it, and prints its bin directory.
#
# Usage: test/bench/aggregates_pgtree.sh DEST
#
# Why: several work trees share the one PostgreSQL installation, and
# anyone's `make install` replaces tiktrack.so under a running benchmark.
# PostgreSQL finds its lib and share directories relative to the postgres
# executable, so copies of bin/, lib/ and share/ laid out as in the real
# installation (about 40 MB) form a self-contained installation that
# `make install DESTDIR=DEST` can extend without touching the shared one.
set -euo pipefail
dest=${1:?usage: $0 DEST}
top=$(cd "$(dirname "$0")/../.." && pwd)
pg_config=${PG_CONFIG:-pg_config}
bindir=$("$pg_config" --bindir)
pkglibdir=$("$pg_config" --pkglibdir)
sharedir=$("$pg_config" --sharedir)

mkdir -p "$dest$bindir" "$(dirname "$dest$pkglibdir")" "$(dirname "$dest$sharedir")"
# Real files, not symbolic links: postgres resolves symbolic links to its
# own executable and would find the shared installation again.
for prog in postgres initdb pg_ctl psql; do
	cp "$bindir/$prog" "$dest$bindir/"
done
cp -a "$pkglibdir" "$dest$(dirname "$pkglibdir")/"
cp -a "$sharedir" "$dest$(dirname "$sharedir")/"
make -s -C "$top" >/dev/null
make -s -C "$top" install DESTDIR="$dest" >/dev/null
echo "$dest$bindir"
