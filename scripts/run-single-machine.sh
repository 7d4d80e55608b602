#!/usr/bin/env bash
# `make run`: the whole gateway on one machine. Uses the Redis at FAXGATE_REDIS_URL when one
# answers; otherwise starts redis-server (installed from apt by setup.sh) with AOF persistence in
# the data directory, fsynced before every reply (appendfsync always), so a fax answered 250 and
# its record and job survive a power cut (issue 18, docs/operations.md), and with a maxmemory
# (REDIS_MAXMEMORY, default a quarter of the machine's memory) and noeviction, so a full Redis
# refuses writes (SMTP answers 451) instead of being OOM-killed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
url="${FAXGATE_REDIS_URL:-redis://127.0.0.1:6379}"
data="${FAXGATE_DATA_DIR:-./var}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$hostport" ] && port=6379

redis_answers() { (exec 3<>"/dev/tcp/$host/$port" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

if redis_answers; then
  echo "faxgate: using the Redis that answers at $host:$port"
else
  case "$host" in 127.*|localhost) ;; *) echo "faxgate: no Redis answers at $url and it is not local; start it or set FAXGATE_REDIS_URL" >&2; exit 1 ;; esac
  mkdir -p "$data/redis"
  dir="$(cd "$data/redis" && pwd)"
  maxmemory="${REDIS_MAXMEMORY:-$(awk '/^MemTotal:/ { printf "%dmb", $2 / 1024 / 4 }' /proc/meminfo)}"
  echo "faxgate: starting redis-server on $host:$port with AOF in $dir, maxmemory $maxmemory"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync always \
    --maxmemory "$maxmemory" --maxmemory-policy noeviction --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "faxgate: redis-server did not start; see $dir/redis.log" >&2; exit 1; }
fi
if [ -z "${FAXGATE_CONSOLE_PASSWORD:-}" ]; then
  echo "faxgate: console user ${FAXGATE_CONSOLE_USER:-admin}, password in $data/console-password (generated at the first start; set FAXGATE_CONSOLE_PASSWORD to choose one)"
fi
exec "$root/faxgate" run all
