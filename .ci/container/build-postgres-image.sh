#!/usr/bin/env bash
# Builds the PostgreSQL 15 image of the container backend offline, without any container registry:
#   1. debootstrap --variant=minbase bookworm with postgresql-15, from the Debian mirror apt uses here;
#   2. docker import of that tree as a base image;
#   3. docker build of a Dockerfile with no RUN step, adding docker-entrypoint.sh.
# Idempotent: skips everything when the image exists with this recipe, and step 1-2 when the base exists.
# Needs root and a running Docker daemon (start-dockerd.sh).
#
#   IMAGE   tag to build (default erp-sandbox-bdd/postgres:15, BDD_CONTAINER_IMAGE's default)
#   MIRROR  Debian mirror (default: the one serving bookworm in /etc/apt/sources.list*)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
IMAGE=${IMAGE:-erp-sandbox-bdd/postgres:15}
BASE=${IMAGE%:*}-rootfs:bookworm
SUITE=bookworm

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'build-postgres-image.sh: %s\n' "$*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "no Docker daemon answers 'docker info'. Start one first: bash $here/start-dockerd.sh"

# The recipe's checksum labels the image, so that a changed entrypoint rebuilds it (the base is reused).
recipe=$(cat "$0" "$here/docker-entrypoint.sh" | sha256sum | cut -c1-16)
if [ "$(docker image inspect --format '{{ index .Config.Labels "erp-sandbox-bdd.recipe" }}' "$IMAGE" 2>/dev/null)" = "$recipe" ]; then
  log "$IMAGE is already built (recipe $recipe): nothing to do"
  exit 0
fi

# The mirror apt already uses for the suite: one-line .list files and deb822 .sources files.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++; if ($(i+1) == suite) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" '
      function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") { split(uris, u, " "); print u[1]; found = 1; exit } types = suites = uris = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/  { sub(/^Types:[[:space:]]*/, "");  types = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      /^URIs:/   { sub(/^URIs:[[:space:]]*/, "");   uris = $0 }
      END { if (!found) flush() }' "$f"
  done
}

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root."
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap, or run start-dockerd.sh)."
  MIRROR=${MIRROR:-$(apt_mirror | head -n 1)}
  [ -n "$MIRROR" ] || die "no Debian mirror serving '$SUITE' found in /etc/apt/sources.list*. Set MIRROR=<the Debian mirror URL>."
  work=$(mktemp -d /var/tmp/erp-sandbox-bdd-rootfs.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  rootfs=$work/rootfs
  mkdir -p "$rootfs/etc/postgresql-common"
  # No default cluster in the image: the entrypoint makes the only one, in $PGDATA.
  echo 'create_main_cluster = false' > "$rootfs/etc/postgresql-common/createcluster.conf"
  log "debootstrap $SUITE (minbase, postgresql-15) from $MIRROR"
  debootstrap --variant=minbase --include=postgresql-15 "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)."; }
  # What an image does not need: package caches and lists, documentation.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
  log "docker import as $BASE"
  tar -C "$rootfs" --numeric-owner -c . | docker import - "$BASE" >/dev/null
fi

log "docker build $IMAGE"
context=$(mktemp -d)
trap 'rm -rf "$context" ${work:+"$work"}' EXIT
cp "$here/docker-entrypoint.sh" "$context/"
chmod 755 "$context/docker-entrypoint.sh"
cat > "$context/Dockerfile" <<DOCKERFILE
FROM $BASE
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    LANG=C.UTF-8 \\
    PGDATA=/var/lib/postgresql/data
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
LABEL erp-sandbox-bdd.recipe=$recipe
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
CMD ["postgres"]
DOCKERFILE
# The legacy builder: enough for COPY and LABEL, and needs no buildx plugin.
DOCKER_BUILDKIT=0 docker build --tag "$IMAGE" "$context" >"$context/build.log" 2>&1 \
  || { cat "$context/build.log" >&2; die "docker build failed (log above)."; }
log "built $IMAGE ($(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%d MB", $1 / 1e6 }'))"
