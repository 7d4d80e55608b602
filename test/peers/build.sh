#!/usr/bin/env bash
# Builds the fax peers used as judges by the interop tests, into test/peers/build (gitignored):
# every test/peers/*.c becomes one program of the same name, and its path is printed.
#   build.sh            builds every peer; spandsp-t38-peer's path is printed last, because
#                       callers written when it was the only peer read the last line.
#   build.sh NAME...    builds only the peers named and prints their paths.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/build"
build() {
  local src="$here/$1.c" out="$here/build/$1"
  if [ ! -x "$out" ] || [ "$src" -nt "$out" ] || [ "$here/peer-util.h" -nt "$out" ]; then
    gcc -O2 -Wall -Wextra -o "$out.tmp.$$" "$src" -lspandsp -ltiff -lm
    mv "$out.tmp.$$" "$out"
  fi
  echo "$out"
}
if [ "$#" -gt 0 ]; then
  for name in "$@"; do build "$name"; done
  exit 0
fi
for src in "$here"/*.c; do
  name="$(basename "$src" .c)"
  [ "$name" = spandsp-t38-peer ] || build "$name"
done
build spandsp-t38-peer
