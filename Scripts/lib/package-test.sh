#!/bin/bash
# Scripts/lib/package-test.sh [--debs DIR] — the Debian package test (a stage of Scripts/test).
#
#   1. Scripts/package (or the .debs already in DIR), then lintian on both packages: no error
#      or warning that is not overridden (with its reason) in Scripts/debian/*.lintian-overrides
#   2. a fresh Debian 12 root: debootstrap (minbase, plus man-db, bash-completion and systemd,
#      the test's own tools) into .cache/pkgroot once, kept as a tar; each run unpacks a new copy
#   3. in that root (chroot): `apt install ./swiftvs_*.deb` pulls exactly the declared
#      Depends (and their own dependencies); swiftvs --version runs with no Swift toolchain and
#      prints the package's Version; man swiftvs, man 5 swiftvs.conf and man swiftvs-healthd
#      render; the bash completion loads; systemd-analyze verify accepts the units, which are
#      disabled; the example configurations pass check-config; swiftvs-ipvsadm replaces
#      Debian's ipvsadm only when installed, and ipvsadm comes back after; purge leaves nothing
#      of swiftvs (state in /var/lib/swiftvs and the saved /etc/swiftvs/rules included)
#
# Exit 0 passed, 1 failed, 77 skipped (with the reason on stderr, loudly: not root, no network
# for the first debootstrap). Cold (no .cache/pkgroot): a few minutes more for debootstrap.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOTDIR=$PWD
DEBS=""
[[ ${1:-} == --debs ]] && DEBS=$(realpath "$2")
CACHE=$ROOTDIR/.cache/pkgroot
SUITE=bookworm MIRROR=${SWIFTVS_DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { printf '  package-test: %s\n' "$*"; }
fail() { printf '  package-test: FAILED: %s\n' "$*" >&2; exit 1; }
skip() { printf '\n  package-test: SKIPPED: %s\n\n' "$*" >&2; exit 77; }
pass() { printf '  package-test: ok: %s\n' "$*"; }

((EUID == 0)) || skip "needs root (debootstrap, chroot, mounts)"
. Scripts/lib/ensure-deps.sh
ensure_deps "${SWIFTVS_PACKAGE_PACKAGES[@]}" || fail "could not install debootstrap/lintian/dpkg-dev"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/swiftvs-pkgtest.XXXXXX")
R=$CACHE/root
MOUNTS=()
cleanup() {
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount -R "${MOUNTS[i]}" 2>/dev/null || umount -R -l "${MOUNTS[i]}" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
# Removes the root, but never while anything is mounted under it (a bind of the host's /dev or
# /sys left by a killed run): rm -rf would walk into the host's.
remove_root() {
  local left
  left=$(awk -v r="$R/" 'index($2 "/", r) == 1 { print $2 }' /proc/self/mounts)
  [[ -z $left ]] || fail "still mounted under $R (umount them first): $left"
  rm -rf --one-file-system "$R"
}
trap cleanup EXIT

# 1. The packages and lintian.
if [[ -z $DEBS ]]; then
  DEBS=$WORK/debs
  Scripts/package --out "$DEBS" >/dev/null
fi
DEB=$(ls "$DEBS"/swiftvs_*_*.deb)
DEB_IPVSADM=$(ls "$DEBS"/swiftvs-ipvsadm_*_all.deb)
VERSION=$(dpkg-deb -f "$DEB" Version)
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
say "swiftvs $VERSION, Depends: $DEPENDS"
# The verdict without --show-overrides: with it, lintian counts an overridden error (the static
# /usr/sbin/swiftvs's statically-linked-binary) against --fail-on and exits 2. The overridden
# tags are counted in a second run that only lists them.
if ! lintian --fail-on error,warning --display-info "$DEB" "$DEB_IPVSADM" >"$WORK/lintian.log" 2>&1; then
  cat "$WORK/lintian.log" >&2
  fail "lintian reports errors or warnings"
fi
grep -E '^[EW]: ' "$WORK/lintian.log" && fail "lintian: tags above"
OVERRIDDEN=$(lintian --show-overrides --fail-on none "$DEB" "$DEB_IPVSADM" 2>/dev/null | grep -c '^O: ' || true)
pass "lintian clean ($OVERRIDDEN overridden tags, $(grep -c '^I: ' "$WORK/lintian.log" || true) info tags)"

# 2. A fresh Debian 12 root from the cached debootstrap.
mkdir -p "$CACHE/archives/partial"
if [[ ! -s $CACHE/base-$SUITE.tar ]]; then
  say "no cached root: debootstrap $SUITE (one time; the tarball of its downloads is kept)"
  if [[ ! -s $CACHE/debootstrap-$SUITE.tgz ]]; then
    debootstrap --variant=minbase --include=man-db,bash-completion,systemd \
      --make-tarball="$CACHE/debootstrap-$SUITE.tgz.new" "$SUITE" "$WORK/mk" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
      || { tail -20 "$WORK/debootstrap.log" >&2; skip "debootstrap could not download $SUITE from $MIRROR (no network?)"; }
    mv "$CACHE/debootstrap-$SUITE.tgz.new" "$CACHE/debootstrap-$SUITE.tgz"
  fi
  rm -rf "$WORK/base"
  debootstrap --variant=minbase --include=man-db,bash-completion,systemd \
    --unpack-tarball="$CACHE/debootstrap-$SUITE.tgz" "$SUITE" "$WORK/base" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap from the cached tarball failed"; }
  chroot "$WORK/base" apt-get update -q >"$WORK/apt.log" 2>&1 || { tail "$WORK/apt.log" >&2; skip "apt-get update in the new root failed (no network?)"; }
  rm -rf "$WORK/base/var/cache/apt/archives"/*.deb
  tar -C "$WORK/base" -cf "$CACHE/base-$SUITE.tar.new" . && mv "$CACHE/base-$SUITE.tar.new" "$CACHE/base-$SUITE.tar"
  rm -rf "$WORK/base"
fi
remove_root && mkdir -p "$R"
tar -C "$R" -xf "$CACHE/base-$SUITE.tar"
for m in proc dev sys; do
  case $m in proc) mount -t proc proc "$R/proc" ;; *) mount --rbind "/$m" "$R/$m"; mount --make-rslave "$R/$m" ;; esac
  MOUNTS+=("$R/$m")
done
mount --bind "$CACHE/archives" "$R/var/cache/apt/archives"; MOUNTS+=("$R/var/cache/apt/archives")
cp /etc/resolv.conf "$R/etc/resolv.conf"
cp "$DEB" "$DEB_IPVSADM" "$R/tmp/"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"; }
apt_in_root() {
  in_root apt-get -y -q -o Dpkg::Use-Pty=0 "$@" >"$WORK/apt.log" 2>&1 && return 0
  in_root apt-get update -q >>"$WORK/apt.log" 2>&1 && in_root apt-get -y -q -o Dpkg::Use-Pty=0 "$@" >>"$WORK/apt.log" 2>&1 && return 0
  tail -30 "$WORK/apt.log" >&2; return 1
}
installed() { in_root dpkg-query -W -f '${Package} ${db:Status-Status}\n' | awk '$2 == "installed" { print $1 }' | sort; }

# 3. Install: exactly the declared dependencies.
installed >"$WORK/before"
apt_in_root install "/tmp/$(basename "$DEB")" || fail "apt install ./$(basename "$DEB") failed"
installed >"$WORK/after"
comm -13 "$WORK/before" "$WORK/after" >"$WORK/new"
declared=$(tr ',|' '\n\n' <<<"$DEPENDS" | sed 's/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u)
for p in $declared; do grep -qx "$p" "$WORK/after" || fail "declared dependency $p is not installed"; done
# What the declared packages need in turn (the closure apt may add: their Depends, PreDepends
# and, as apt installs them by default, Recommends).
in_root apt-cache depends --recurse --no-suggests --no-conflicts --no-breaks --no-replaces \
  --no-enhances $declared 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u >"$WORK/closure"
extra=$(grep -vx swiftvs "$WORK/new" | grep -vxF -f "$WORK/closure" || true)
[[ -z $extra ]] || fail "apt installed packages outside the declared Depends: $extra"
pass "apt install pulled $(grep -vxc swiftvs "$WORK/new" || true) packages, all from Depends: $(grep -vx swiftvs "$WORK/new" | tr '\n' ' ')"

# No Swift toolchain, and the version is the package's.
in_root sh -c 'command -v swift || ls -d /usr/lib/swift /opt/swift' 2>/dev/null && fail "a Swift toolchain is present in the root"
in_root swiftvs --version >"$WORK/version" 2>&1 || { cat "$WORK/version" >&2; fail "swiftvs --version failed in the root"; }
[[ $(head -1 "$WORK/version") == "swiftvs $VERSION" ]] || fail "swiftvs --version says '$(head -1 "$WORK/version")', the package is $VERSION"
grep -q '^libnl 3\.' "$WORK/version" || fail "swiftvs --version names no libnl: $(cat "$WORK/version")"
in_root swiftvs version | cmp -s - "$WORK/version" || fail "swiftvs version and --version differ"
pass "swiftvs --version with no Swift toolchain: $(tr '\n' ';' <"$WORK/version")"
in_root swiftvs-healthd --help >/dev/null 2>&1 || in_root swiftvs-healthd x >/dev/null 2>&1 || [[ $? -le 2 ]] || fail "swiftvs-healthd does not start"

# Manual pages render (man-db's own formatter, warnings shown).
for page in "swiftvs" "5 swiftvs.conf" "swiftvs-healthd" "swiftvs.daemon"; do
  # shellcheck disable=SC2086
  out=$(in_root env MANWIDTH=80 man --warnings -P cat $page 2>"$WORK/man.err") || { cat "$WORK/man.err" >&2; fail "man $page does not render"; }
  [[ -s $WORK/man.err ]] && { cat "$WORK/man.err" >&2; fail "man $page: groff warnings"; }
  grep -q NAME <<<"$out" || fail "man $page: no NAME section"
done
pass "man swiftvs, man 5 swiftvs.conf, man swiftvs-healthd render without warnings"

# bash completion loads (through bash-completion's loader, as an interactive shell would).
spec=$(in_root bash -c '. /usr/share/bash-completion/bash_completion; __load_completion swiftvs; complete -p swiftvs') \
  || fail "bash completion for swiftvs does not load"
words=$(in_root bash -c '. /usr/share/bash-completion/bash_completion; __load_completion swiftvs
  COMP_WORDS=(swiftvs add-s); COMP_CWORD=1; COMP_LINE="swiftvs add-s"; COMP_POINT=${#COMP_LINE}
  f=$(complete -p swiftvs | sed -E "s/.*-F ([^ ]+).*/\1/"); $f swiftvs add-s swiftvs; echo "${COMPREPLY[*]}"')
grep -qw add-service <<<"$words" || fail "bash completion of 'swiftvs add-s' gives '$words'"
pass "bash completion loads ($spec) and completes 'swiftvs add-s' to '$words'"
in_root test -s /usr/share/zsh/vendor-completions/_swiftvs || fail "no zsh completion"
in_root test -s /usr/share/fish/vendor_completions.d/swiftvs.fish || fail "no fish completion"

# systemd: the units verify and are installed disabled.
in_root systemd-analyze verify /lib/systemd/system/swiftvs-daemon.service /lib/systemd/system/swiftvs-restore.service \
  >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log" >&2; fail "systemd-analyze verify rejects the units"; }
grep -i swiftvs "$WORK/verify.log" && fail "systemd-analyze verify: warnings about the units (above)"
for u in swiftvs-daemon.service swiftvs-restore.service; do
  state=$(in_root systemctl is-enabled "$u" 2>/dev/null || true)
  [[ $state == disabled ]] || fail "$u is '$state' after install, not disabled"
done
pass "systemd-analyze verify accepts both units; both disabled"

# The shipped configuration and examples pass check-config.
for f in /etc/swiftvs/swiftvs.conf /usr/share/doc/swiftvs/examples/pair-d1.conf /usr/share/doc/swiftvs/examples/pair-d2.conf; do
  in_root swiftvs check-config "$f" >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; fail "check-config $f"; }
done
in_root sh -c "sed -n -E 's/^#([a-z}]|  )/\\1/p' /etc/swiftvs/swiftvs.conf > /tmp/seed.conf && swiftvs check-config /tmp/seed.conf" \
  >"$WORK/check.log" 2>&1 || { cat "$WORK/check.log" >&2; fail "the commented seed example, uncommented, fails check-config"; }
grep -q '1 virtual servers, 3 real servers, 3 checkers' "$WORK/check.log" || fail "seed example: $(cat "$WORK/check.log")"
pass "check-config accepts /etc/swiftvs/swiftvs.conf, its seed example uncommented, and the pair examples"

# ipvsadm's names: only with swiftvs-ipvsadm, which replaces Debian's ipvsadm, which comes back.
apt_in_root install ipvsadm || fail "apt install ipvsadm"
[[ -f $R/sbin/ipvsadm && ! -L $R/sbin/ipvsadm ]] || fail "Debian's /sbin/ipvsadm is not a file"
apt_in_root install "/tmp/$(basename "$DEB_IPVSADM")" || fail "apt install swiftvs-ipvsadm"
in_root dpkg-query -W -f '${db:Status-Status}' ipvsadm 2>/dev/null | grep -qx installed && fail "ipvsadm still installed beside swiftvs-ipvsadm"
for n in ipvsadm ipvsadm-save ipvsadm-restore; do
  [[ $(readlink "$R/sbin/$n") == /usr/sbin/swiftvs ]] || fail "/sbin/$n is not a link to swiftvs"
done
apt_in_root purge swiftvs-ipvsadm || fail "apt purge swiftvs-ipvsadm"
apt_in_root install ipvsadm || fail "apt install ipvsadm after swiftvs-ipvsadm"
[[ -f $R/sbin/ipvsadm && ! -L $R/sbin/ipvsadm ]] || fail "ipvsadm's /sbin/ipvsadm did not come back"
pass "swiftvs-ipvsadm replaces ipvsadm only when installed (links in /sbin), and ipvsadm comes back"

# Purge: nothing of swiftvs stays (state and the saved rules included). /var/cache/man is
# man-db's cache of formatted pages (made by the man runs above), its own, not the package's.
in_root sh -c 'mkdir -p /var/lib/swiftvs && echo "-A -f 80 -s lc" > /var/lib/swiftvs/ipvs.rules && echo "-A -f 80 -s lc" > /etc/swiftvs/rules'
apt_in_root purge swiftvs || fail "apt purge swiftvs"
left=$(cd "$R" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./var/cache/apt -o -path ./var/cache/man -o -path ./tmp -o -path ./var/log \) -prune \
  -o -iname '*swiftvs*' -print | grep -v '^./var/lib/dpkg/info/swiftvs-ipvsadm\|^./var/lib/dpkg/info/swiftvs\.' || true)
[[ -z $left ]] || fail "left after purge: $left"
in_root dpkg-query -W -f '${db:Status-Status}' swiftvs 2>/dev/null | grep -q installed && fail "swiftvs still installed"
pass "purge removes every file of swiftvs, /etc/swiftvs and /var/lib/swiftvs"

# Passed: the unpacked root goes (330 MB; a failed run leaves it in .cache/pkgroot/root to
# look at). The cached tars stay.
cleanup
MOUNTS=()
remove_root
