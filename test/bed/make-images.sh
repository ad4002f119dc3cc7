#!/usr/bin/env bash
# Build the test images from busybox-static (no image registry is reachable from
# here) and put a copy into the local registry for pull-path tests:
#
#   dokkaa/busybox:test                 httpd on :80, /www/index.html "hello from dokkaa"
#   dokkaa/busybox:test2                the same, index says "hello from dokkaa v2"
#   127.0.0.1:5000/dokkaa/busybox:pull  :test, in the registry only (the local tag is
#                                       removed so tests really pull it)
#   dokkaa/busybox:rollout              :test plus a version, a controllable /healthz, a
#                                       slow CGI and a SIGTERM trap (make-rollout-image.sh)
#
# Each container writes "instance <hostname>" to /www/host.txt at start, so a test can
# tell which instance answered. /bin holds every busybox applet (sh httpd wget nc
# nslookup sleep ...).
#
# Idempotent: an image whose recipe (kept in the image's Comment, not in a label,
# since containers inherit labels) matches is kept; the registry copy is
# pushed only when its config digest differs from the local image. Ends by running
# a container and fetching its page, so a broken engine shows up here and not as a
# puzzling test failure.
#
# Environment: DOCKER_HOST (docker's own), DOKKAA_TEST_REGISTRY (127.0.0.1:5000).
set -euo pipefail

export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}
REGISTRY=${DOKKAA_TEST_REGISTRY:-127.0.0.1:5000}
IMAGE=dokkaa/busybox:test
IMAGE_V2=dokkaa/busybox:test2
PULL_IMAGE=$REGISTRY/dokkaa/busybox:pull
BUSYBOX=${DOKKAA_BUSYBOX:-/usr/bin/busybox}
REQUIRED_APPLETS=(sh httpd wget nc sleep echo cat ls env hostname ps kill date seq grep head true false)
CMD_JSON='["/bin/sh","-c","echo \"instance $(hostname)\" > /www/host.txt; exec httpd -f -p 80 -h /www"]'

die() { echo "make-images: $*" >&2; exit 1; }

[[ -x $BUSYBOX ]] || die "$BUSYBOX not found (apt-get install busybox-static)"
file_type=$(head -c 4 "$BUSYBOX" | od -An -c | tr -d ' ')
[[ $file_type == 177ELF ]] || die "$BUSYBOX is not an ELF binary"
if ldd "$BUSYBOX" 2>/dev/null | grep -q '=>'; then
  die "$BUSYBOX is dynamically linked; the image has no libc, it needs busybox-static"
fi

work=$(mktemp -d /tmp/dokkaa-images.XXXXXX)
check_cid=""
cleanup() {
  if [[ -n $check_cid ]]; then docker rm -f "$check_cid" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The recipe: everything the image content depends on. A changed busybox or a changed
# script rebuilds; an unchanged one is a no-op.
recipe=$( (sha256sum "$BUSYBOX" | cut -d' ' -f1; sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1) | sha256sum | cut -c1-16)

build() { # image index-text
  local image=$1 index=$2 have old root=$work/rootfs-${1//[^a-z0-9]/_}
  have=$(docker image inspect -f '{{.Comment}}' "$image" 2>/dev/null || true)
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  if [[ $have == "dokkaa-bed recipe $recipe" ]]; then
    echo "$image: up to date"
    return
  fi
  mkdir -p "$root"/{bin,etc,www,tmp,root,proc,sys,dev,var/run}
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  local applet
  for applet in $("$BUSYBOX" --list); do
    [[ $applet == busybox || $applet == */* ]] || ln -sf busybox "$root/bin/$applet"
  done
  for applet in "${REQUIRED_APPLETS[@]}"; do
    [[ -L $root/bin/$applet ]] || die "busybox at $BUSYBOX lacks the $applet applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  echo "$index" >"$root/www/index.html"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    docker import \
      --change "CMD $CMD_JSON" \
      --change 'EXPOSE 80' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'WORKDIR /' \
      --message "dokkaa-bed recipe $recipe" \
      - "$image" >/dev/null
  # The previous build is now untagged; drop it unless a container still uses it.
  if [[ -n $old ]]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
  echo "$image: built"
}

# Config digest of a tag in the registry ("" if absent). In a schema 2 manifest the
# first digest is the config's, which equals the local image id.
registry_digest() { # repo tag
  curl -fsS --max-time 10 \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/$1/manifests/$2" 2>/dev/null |
    grep -o '"digest": *"sha256:[0-9a-f]*"' | head -n 1 | grep -o 'sha256:[0-9a-f]*' || true
}

push_pull_copy() {
  curl -fsS --max-time 5 "http://$REGISTRY/v2/" >/dev/null ||
    die "no registry answers at http://$REGISTRY/v2/ (run test/bed/start-services.sh)"
  local id remote
  id=$(docker image inspect -f '{{.Id}}' "$IMAGE")
  remote=$(registry_digest dokkaa/busybox pull)
  if [[ $remote == "$id" ]]; then
    echo "$PULL_IMAGE: up to date in the registry"
  else
    docker tag "$IMAGE" "$PULL_IMAGE"
    docker push -q "$PULL_IMAGE" >/dev/null
    echo "$PULL_IMAGE: pushed"
  fi
  # Pull-path tests must really pull: no local tag.
  docker rmi "$PULL_IMAGE" >/dev/null 2>&1 || true
}

check() {
  local name=dokkaa-bed-check-$$ host page ip i
  check_cid=$(docker run -d --name "$name" --label dokkaa-bed=check "$IMAGE")
  page=""
  for ((i = 0; i < 40; i++)); do
    page=$(docker exec "$check_cid" wget -qO- http://127.0.0.1/ 2>/dev/null || true)
    [[ -n $page ]] && break
    sleep 0.25
  done
  [[ $page == "hello from dokkaa" ]] || die "check: $IMAGE served '$page' instead of 'hello from dokkaa'"
  host=$(docker exec "$check_cid" hostname)
  page=$(docker exec "$check_cid" wget -qO- http://127.0.0.1/host.txt)
  [[ $page == "instance $host" ]] || die "check: host.txt says '$page', expected 'instance $host'"
  # From the host too: the tests reach containers over the bridge.
  ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$check_cid" | awk '{print $1}')
  if [[ -n $ip ]]; then
    page=$(curl -fsS --max-time 5 "http://$ip/") || die "check: cannot reach $IMAGE at http://$ip/ from the host"
    [[ $page == "hello from dokkaa" ]] || die "check: http://$ip/ served '$page'"
  fi
  docker rm -f "$check_cid" >/dev/null
  check_cid=""

  page=$(docker run --rm "$IMAGE_V2" cat /www/index.html)
  [[ $page == "hello from dokkaa v2" ]] || die "check: $IMAGE_V2 index is '$page'"

  docker pull -q "$PULL_IMAGE" >/dev/null || die "check: cannot pull $PULL_IMAGE"
  docker rmi "$PULL_IMAGE" >/dev/null
  echo "check: $IMAGE serves its page (inside and from the host), $IMAGE_V2 says v2, $PULL_IMAGE pulls"
}

docker info >/dev/null 2>&1 || die "docker is not answering (run test/bed/start-services.sh)"
build "$IMAGE" "hello from dokkaa"
build "$IMAGE_V2" "hello from dokkaa v2"
push_pull_copy
check
bash "$(dirname "${BASH_SOURCE[0]}")/make-rollout-image.sh"
