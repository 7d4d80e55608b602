#!/usr/bin/env bash
# Installs what faxgate needs on a Debian machine, and nothing that is already there.
#   setup.sh run   — what `make run` needs: npm packages, Redis (when none answers)
#   setup.sh test  — what `make test` needs: the above plus the independent judges and fax peers
#   setup.sh image-check — what `make image-check` needs: buildah, debootstrap and the smoke fax's tools
set -euo pipefail
mode="${1:-run}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "faxgate: installing from apt: ${missing[*]}" >&2
  if [ $apt_updated -eq 0 ]; then $sudo apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Node packages: install when the lockfile changed since the last install.
stamp="node_modules/.faxgate-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund >&2
  cp package-lock.json "$stamp"
fi

case "$mode" in
  run)
    apt_install ghostscript
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    ;;
  test)
    # Judges and peers: libtiff and Ghostscript check images, swaks is an independent SMTP
    # client, spandsp is the reference T.30/T.38 engine, HylaFAX and iaxmodem a real fax server,
    # sipp and kamailio the SIP far end and a real registrar/proxy (over TLS too), prometheus's promtool the
    # judge of the /metrics exposition, Postfix the MTA in front of faxgate in the DSN test (it
    # replaces exim4, which hylafax-server pulled in as its MTA), rtpengine an independent
    # T.38 ⇄ G.711 gateway in front of faxgate's audio fax modems, Chromium the browser that
    # drives the console pages (playwright-core, axe-core) in their test.
    apt_install redis-server libtiff-tools ghostscript swaks gcc libc6-dev libspandsp-dev libtiff-dev \
      iaxmodem hylafax-server hylafax-client openssl socat sip-tester efax fonts-dejavu-core \
      libnet-ssleay-perl libio-socket-ssl-perl fonts-noto-cjk libreoffice-writer-nogui kamailio kamailio-tls-modules postfix prometheus \
      rtpengine-daemon chromium
    ;;
  image-check)
    # make image-check: buildah builds and runs the image with chroot isolation, debootstrap makes
    # its bookworm base; Redis, swaks, Ghostscript and libtiff serve the smoke fax around it.
    apt_install buildah debootstrap redis-server swaks ghostscript libtiff-tools curl
    ;;
  *) echo "usage: setup.sh run|test|image-check" >&2; exit 2 ;;
esac
