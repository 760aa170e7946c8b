# shellcheck shell=bash
# Scripts/lib/ensure-deps.sh — make sure the Debian packages the VM tooling
# needs are installed. Sourced by Scripts/vm-run and Scripts/demo.
#
#   ensure_deps [EXTRA_PACKAGE...]
#
# Idempotent and quiet: the fast path is one dpkg-query call. Missing packages
# are installed with apt-get (DEBIAN_FRONTEND=noninteractive); `apt-get update`
# is run at most once, and only when needed (no lists, or install failed).
# apt output goes to a log that is shown only on failure.

# Host side: booting the VM and building its kernel/initramfs cache.
SWIFTVS_VM_HOST_PACKAGES=(
  qemu-system-x86   # qemu-system-x86_64 (TCG)
  busybox-static    # /bin/busybox for the initramfs
  kmod              # depmod on the extracted kernel; modprobe in the guest
  cpio gzip xz-utils zstd
  coreutils util-linux procps
  tcpdump           # Scripts/bench vrrp: the VRRP cases run on the host, timed on the wire
)
# Guest side: the VM sees the host's / read-only, so whatever tests and the
# demo run inside the VM must be installed on the host.
SWIFTVS_VM_GUEST_PACKAGES=(
  bash ipvsadm iptables nftables iproute2 keepalived curl python3
  iputils-ping kmod procps time   # /usr/bin/time: the conn bench case's peak RSS
  prometheus        # promtool and a Prometheus server for the metrics tests (its service is left stopped)
  libssl-dev        # SSL_GET: OpenSSL to build against (COpenSSL, pkg-config openssl); libssl3 at run time
  openssl           # the SSL_GET tests' certificates (openssl req)
  libpcre2-dev      # HTTP_GET/SSL_GET regex: PCRE2 to build against (CPCRE2, pkg-config libpcre2-8); libpcre2-8-0 at run time
)

# Scripts/package and its test (Scripts/lib/package-test.sh): not installed by default, passed
# to ensure_deps by the package test ("${SWIFTVS_PACKAGE_PACKAGES[@]}").
SWIFTVS_PACKAGE_PACKAGES=(
  dpkg-dev          # dpkg-shlibdeps: the package's Depends, computed from the binaries
  binutils          # strip
  lintian           # Debian's package checker
  debootstrap       # the fresh Debian 12 root the package is installed into
  man-db            # man --warnings on the host side of the checks
)

_ensure_deps_log() { printf 'vm-run: %s\n' "$*" >&2; }

ensure_deps() {
  local pkgs=("${SWIFTVS_VM_HOST_PACKAGES[@]}" "${SWIFTVS_VM_GUEST_PACKAGES[@]}" "$@")
  local missing=() p status
  # One query for all packages; unknown packages print nothing / an error.
  declare -A have=()
  while IFS=' ' read -r p status; do
    [[ $status == installed ]] && have[$p]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null || true)
  for p in "${pkgs[@]}"; do
    [[ -n ${have[$p]:-} ]] || missing+=("$p")
  done
  # De-duplicate.
  if ((${#missing[@]} > 0)); then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  fi
  # /lib/modules is the mount point for the guest kernel's modules (the guest
  # root is the host's / read-only, so the directory itself must exist). It is
  # a standard directory; minimal container images may lack it.
  if [[ ! -d /lib/modules ]]; then
    mkdir -p /lib/modules 2>/dev/null || {
      _ensure_deps_log "/lib/modules is missing and cannot be created (run as root)"
      return 1
    }
  fi
  ((${#missing[@]} == 0)) && return 0

  if ((EUID != 0)); then
    _ensure_deps_log "missing packages: ${missing[*]} (run as root to install them)"
    return 1
  fi
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/ensure-deps.XXXXXX.log")
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0
             --no-install-recommends)
  # Serialize concurrent installers (several vm-run may start at once).
  local rc=0 lockdir=/run/lock
  [[ -d $lockdir ]] || lockdir=/tmp
  (
    flock -w 900 9 || exit 1
    # Lists empty (fresh machine)? Update first.
    if ! compgen -G '/var/lib/apt/lists/*Packages*' >/dev/null; then
      "${apt[@]}" update || exit 1
    fi
    "${apt[@]}" install "${missing[@]}" && exit 0
    "${apt[@]}" update && "${apt[@]}" install "${missing[@]}"
  ) 9>"$lockdir/swiftvs-ensure-deps.lock" >"$log" 2>&1 || rc=$?
  if ((rc != 0)); then
    _ensure_deps_log "installing ${missing[*]} failed; apt log:"
    tail -n 30 "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}
