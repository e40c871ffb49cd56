#!/usr/bin/env bash
# Installs what faxgate needs on Debian 12, and nothing that is already there.
#   install-deps.sh          build and run dependencies
#   install-deps.sh --test   also the peers the tests start (swaks, smtp-sink, aiosmtpd, ...)
# Test peers are started by the tests from temporary configs; this script keeps the
# packages' own services from starting (policy-rc.d), so none runs as a system service.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config ccache git
  libpoco-dev libmimetic-dev libtiff-dev libcurl4-openssl-dev libssl-dev libpq-dev
  libcairo2-dev libjpeg-dev libpng-dev libspandsp-dev libsofia-sip-ua-dev
  libgtest-dev libgmock-dev libyaml-cpp-dev
  fonts-dejavu-core ghostscript
  tzdata
  libmupdf-dev libmujs-dev libgumbo-dev libopenjp2-7-dev libjbig2dec0-dev
)
test_packages=(
  clang-format clang-tidy
  python3 python3-aiosmtpd python3-pil swaks libnet-ssleay-perl libio-socket-ssl-perl postfix
  poppler-utils libtiff-tools openssl curl isync
  dovecot-imapd mutt
  tshark
)

packages=("${build_packages[@]}")
if [ "${1:-}" = "--test" ]; then packages+=("${test_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
created_policy=no
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=yes
fi
trap '[ "$created_policy" = yes ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
