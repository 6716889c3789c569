#!/usr/bin/env bash
# Rebuilds the compiled optimizer kernel (src/backend/wasm/adaptive_step.c) into the two wasm
# artifacts committed beside it; the test src/backend/compiled.test.ts checks that the committed
# files equal a fresh build. Needs Debian 12's clang 14 and lld: apt-get install -y clang lld.
#
#   adaptive_step.wasm         imports a plain memory   (tfjs wasm backend, 1 thread; cpu backend)
#   adaptive_step.shared.wasm  imports a shared memory  (tfjs wasm backend's threaded build)
#
# Both import the memory of the tfjs wasm module they run beside and use no memory of their own
# (no data, no stack: the test checks the module has no __stack_pointer), so they can work on
# tensors in place. Usage: scripts/build-wasm.sh [output-dir] (default: src/backend/wasm).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=src/backend/wasm/adaptive_step.c
OUT=${1:-src/backend/wasm}
mkdir -p "$OUT"
# Compile and link as two steps: clang's driver would run binaryen's wasm-opt after linking
# whenever it is on PATH, so the bytes would depend on what else is installed.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CFLAGS=(--target=wasm32 -nostdlib -ffreestanding -O3 -msimd128 -Wall -Werror)
LDFLAGS=(--no-entry --import-memory --strip-all -z stack-size=0 --export=adaptive_step)
clang "${CFLAGS[@]}" -c -o "$TMP/plain.o" "$SRC"
wasm-ld "${LDFLAGS[@]}" -o "$OUT/adaptive_step.wasm" "$TMP/plain.o"
clang "${CFLAGS[@]}" -matomics -mbulk-memory -c -o "$TMP/shared.o" "$SRC"
wasm-ld "${LDFLAGS[@]}" --shared-memory --max-memory=4294967296 -o "$OUT/adaptive_step.shared.wasm" "$TMP/shared.o"
chmod 644 "$OUT/adaptive_step.wasm" "$OUT/adaptive_step.shared.wasm"
