#!/usr/bin/env bash
# Builds every libFuzzer target test/fuzz/fuzz_*.c with clang and runs each
# for a bounded time (FUZZ_SECONDS in all, split evenly; default 20).
# A target names the pure C files it links in a line of its own:
#     * FUZZ_SOURCES: src/url_parse.c
# and FUZZ_LIBS: for extra libraries (e.g. libpgcommon for the JSON parser).
set -euo pipefail
cd "$(dirname "$0")/../.."
total=${FUZZ_SECONDS:-20}
targets=(test/fuzz/fuzz_*.c)
[ -e "${targets[0]}" ] || { echo "fuzz: no targets"; echo "fuzz: 0 passed, 0 failed"; exit 0; }
per=$(( total / ${#targets[@]} ))
[ "$per" -lt 2 ] && per=2
out=test/fuzz/build
mkdir -p "$out"
pgincl=$(pg_config --includedir-server)
pglib=$(pg_config --pkglibdir)
passed=0
failed=0
for t in "${targets[@]}"; do
	name=$(basename "$t" .c)
	srcs=$(sed -n 's/^.*FUZZ_SOURCES:\(.*\)$/\1/p' "$t")
	libs=$(sed -n 's/^.*FUZZ_LIBS:\(.*\)$/\1/p' "$t" | sed "s#@PGLIB@#$pglib#g")
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wno-ignored-attributes \
		-Isrc -I"$pgincl" -o "$out/$name" "$t" $srcs $libs
	corpus="$out/$name.corpus"
	mkdir -p "$corpus"
	[ -d "test/fuzz/corpus/$name" ] && cp -n test/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
	echo "fuzz: $name for ${per}s"
	if "$out/$name" -max_total_time="$per" -print_final_stats=0 "$corpus" >"$out/$name.log" 2>&1; then
		passed=$((passed + 1))
		grep -E "^#[0-9]+.*DONE" "$out/$name.log" | tail -n 1 || true
	else
		failed=$((failed + 1))
		tail -n 40 "$out/$name.log"
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
