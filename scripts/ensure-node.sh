#!/usr/bin/env bash
# Puts Node.js 24 (the production major) on PATH for make targets.
# Where the machine's node is older, Node 24 comes from the npm registry's `node` package,
# which ships the official binaries, into .toolchain/ (never committed).
# Prints the directory to prepend to PATH (empty when the machine's node is already 24+).
set -euo pipefail
NODE_VERSION="24.21.0"
root="$(cd "$(dirname "$0")/.." && pwd)"
tool="$root/.toolchain"
bindir="$tool/node_modules/node/bin"

# `node --version` answers before Node boots (a tenth of what `node -p` costs): every `faxgate`
# command runs this script first.
major() { local v; v="$("$1" --version 2>/dev/null)" || { echo 0; return; }; v="${v#v}"; echo "${v%%.*}"; }

if [ -x "$bindir/node" ] && [ "$(major "$bindir/node")" -ge 24 ]; then echo "$bindir"; exit 0; fi
if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge 24 ]; then echo ""; exit 0; fi

if ! command -v npm >/dev/null 2>&1; then
  echo "faxgate: installing nodejs and npm from apt to fetch Node 24" >&2
  apt-get update -qq >&2 && apt-get install -y -qq nodejs npm >&2
fi
echo "faxgate: installing Node.js $NODE_VERSION into .toolchain/ (machine has $(node --version 2>/dev/null || echo none))" >&2
mkdir -p "$tool"
[ -f "$tool/package.json" ] || echo '{"private":true}' > "$tool/package.json"
npm install --prefix "$tool" --no-audit --no-fund --save-exact "node@$NODE_VERSION" >&2
[ -x "$bindir/node" ] || { echo "faxgate: Node $NODE_VERSION did not install into $bindir" >&2; exit 1; }
echo "$bindir"
