#!/usr/bin/env bash
# Builds the fax peers used as judges by the interop tests, into test/peers/build (gitignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/build"
src="$here/spandsp-t38-peer.c"
out="$here/build/spandsp-t38-peer"
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  gcc -O2 -Wall -Wextra -o "$out.tmp.$$" "$src" -lspandsp -ltiff -lm
  mv "$out.tmp.$$" "$out"
fi
echo "$out"
