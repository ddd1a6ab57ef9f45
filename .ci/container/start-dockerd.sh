#!/usr/bin/env bash
# Starts a Docker daemon for the container backend on a machine where none runs, as root.
# Installs Debian's docker.io and debootstrap when absent. Idempotent: does nothing when `docker info`
# already answers.
#
# No bridge networks and no iptables rules: private bridge addresses are not allowed targets on these
# machines, so containers use host networking and listen on 127.0.0.1.
set -euo pipefail

log() { printf '== %s\n' "$*" >&2; }
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/erp-sandbox-bdd-dockerd.log}

if docker info >/dev/null 2>&1; then
  log "a Docker daemon already answers: nothing to start"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "start-dockerd.sh must run as root (it installs packages and starts dockerd); no daemon answers 'docker info' now." >&2
  exit 1
fi

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d: the package must not start its own daemon (with bridge and iptables) on install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log "starting dockerd (no bridge, no iptables); log in $DOCKERD_LOG"
# setsid: the daemon outlives this script and is not killed with its process group.
setsid dockerd --iptables=false --ip-masq=false --bridge=none >>"$DOCKERD_LOG" 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    log "dockerd is up (pid $pid)"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "dockerd exited before answering; last lines of $DOCKERD_LOG:" >&2
    tail -n 20 "$DOCKERD_LOG" >&2
    exit 1
  fi
  sleep 0.5
done
echo "dockerd (pid $pid) did not answer 'docker info' within 60 s; last lines of $DOCKERD_LOG:" >&2
tail -n 20 "$DOCKERD_LOG" >&2
exit 1
