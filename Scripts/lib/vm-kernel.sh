# shellcheck shell=bash
# Scripts/lib/vm-kernel.sh — fetch and cache the guest kernel + initramfs.
# Sourced by Scripts/vm-run.
#
#   vm_prepare CACHE_DIR LIB_DIR
#
# Sets: VM_KVER (e.g. 6.1.0-56-amd64), VM_VMLINUZ, VM_INITRD, VM_MODDIR
# (…/lib/modules/$VM_KVER, already depmod'ed).
#
# Kernel: the package that Debian's linux-image-amd64 metapackage depends on
# (override with SWIFTVS_VM_KERNEL_PKG), fetched with `apt-get download`,
# extracted with dpkg-deb, depmod'ed. Cached under CACHE_DIR/<pkg>_<version>/,
# so a second run does no download and no rebuild. The package resolution is
# cached too (apt-cache costs ~2 s here), keyed on the apt lists' signature.
# The initramfs is cached next to the kernel, keyed on a hash of its inputs.
# All of it runs under flock, so concurrent first runs are safe.
#
# Quiet on success; on failure, the build log tail goes to stderr.

_vm_log() { printf 'vm-run: %s\n' "$*" >&2; }

# Modules the initramfs loads (plus their dependencies, from modules.dep) to
# mount the 9p root: virtio_pci brings virtio/virtio_ring/virtio_pci_*_dev,
# 9p brings 9pnet/netfs/fscache.
VM_INITRD_ROOT_MODULES=(virtio_pci 9pnet_virtio 9p)

_vm_lists_sig() {
  { stat -c '%n %Y %s' /var/lib/apt/lists/*Packages* 2>/dev/null || true; } | md5sum | cut -c1-32
}

# Prints "PKG VERSION" for the kernel to use.
_vm_resolve_kernel() {
  local pkg ver meta=linux-image-amd64
  if [[ -n ${SWIFTVS_VM_KERNEL_PKG:-} ]]; then
    pkg=$SWIFTVS_VM_KERNEL_PKG
  else
    pkg=$(apt-cache depends "$meta" 2>/dev/null |
          awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
  fi
  [[ -n $pkg ]] || return 1
  ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }')
  [[ -n $ver && $ver != "(none)" ]] || return 1
  printf '%s %s\n' "$pkg" "$ver"
}

# _vm_moddeps MODDIR NAME... : prints module paths (relative to MODDIR) in load
# order, dependencies first. Built-in modules are skipped.
_vm_moddeps() {
  local moddir=$1; shift
  local -A deps=() seen=()
  local line path rest
  while IFS= read -r line; do
    path=${line%%:*}; rest=${line#*:}
    local base=${path##*/}; base=${base%%.ko*}
    deps[$base]="$path:$rest"
  done <"$moddir/modules.dep"
  local _vm_order=()
  _vm_visit() {
    local name=$1 entry p d
    [[ -n ${seen[$name]:-} ]] && return 0
    seen[$name]=1
    entry=${deps[$name]:-}
    if [[ -z $entry ]]; then
      if grep -qE "/${name}\.ko(\.[a-z]+)?\$" "$moddir/modules.builtin" 2>/dev/null; then
        return 0
      fi
      _vm_log "kernel module $name not found in $moddir"
      return 1
    fi
    p=${entry%%:*}
    for d in ${entry#*:}; do
      d=${d##*/}; d=${d%%.ko*}
      _vm_visit "$d" || return 1
    done
    _vm_order+=("$p")
  }
  local m
  for m in "$@"; do _vm_visit "$m" || return 1; done
  printf '%s\n' "${_vm_order[@]}"
}

_vm_build_initrd() { # KDIR(root of extracted deb) KVER INIT_SRC OUT
  local root=$1 kver=$2 init_src=$3 out=$4
  local moddir=$root/lib/modules/$kver
  local tmp m name
  tmp=$(mktemp -d "${out%/*}/.initrd.XXXXXX")
  mkdir -p "$tmp"/{bin,dev,proc,sys,newroot,job,keep,mods}
  cp /bin/busybox "$tmp/bin/busybox"
  ln -s busybox "$tmp/bin/sh"
  mknod -m 600 "$tmp/dev/console" c 5 1
  mknod -m 666 "$tmp/dev/null" c 1 3
  install -m 755 "$init_src" "$tmp/init"
  local mods
  mods=$(_vm_moddeps "$moddir" "${VM_INITRD_ROOT_MODULES[@]}") || { rm -rf "$tmp"; return 1; }
  : >"$tmp/mods/order"
  for m in $mods; do
    name=${m##*/}; name=${name%%.ko*}
    case $m in
      *.ko)     cp "$moddir/$m" "$tmp/mods/$name.ko" ;;
      *.ko.xz)  xz -dc "$moddir/$m" >"$tmp/mods/$name.ko" ;;
      *.ko.zst) zstd -qdc "$moddir/$m" >"$tmp/mods/$name.ko" ;;
      *.ko.gz)  gzip -dc "$moddir/$m" >"$tmp/mods/$name.ko" ;;
      *) _vm_log "unknown module format: $m"; rm -rf "$tmp"; return 1 ;;
    esac
    echo "$name" >>"$tmp/mods/order"
  done
  (cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$out.tmp"
  mv -f "$out.tmp" "$out"
  rm -rf "$tmp"
}

# _vm_extract_vmlinux BZIMAGE OUT: the uncompressed ELF vmlinux inside a
# bzImage. qemu boots it directly through its PVH entry point (CONFIG_PVH),
# skipping the in-guest decompression, which costs ~3.5 s under TCG.
_vm_extract_vmlinux() {
  local img=$1 out=$2 i off
  local magics=($'\xfd7zXZ' $'\x28\xb5\x2f\xfd' $'\x1f\x8b\x08')
  local cmds=('xz -dc' 'zstd -qdc' 'gzip -dc')
  for i in 0 1 2; do
    local cmd=${cmds[$i]}
    for off in $(LC_ALL=C grep -abo "${magics[$i]}" "$img" 2>/dev/null | head -n 3 | cut -d: -f1); do
      tail -c "+$((off + 1))" "$img" | $cmd >"$out.tmp" 2>/dev/null || true
      if [[ $(head -c 4 "$out.tmp" | od -An -c | tr -d ' ') == '177ELF' ]] &&
         (($(stat -c %s "$out.tmp") > 1000000)); then
        mv -f "$out.tmp" "$out"
        return 0
      fi
    done
  done
  rm -f "$out.tmp"
  return 1
}

vm_prepare() {
  local cache=$1 libdir=$2
  mkdir -p "$cache"
  local lockfd rc=0
  exec {lockfd}>"$cache/lock"
  flock "$lockfd"
  _vm_prepare_locked "$cache" "$libdir" || rc=$?
  exec {lockfd}>&-
  return $rc
}

_vm_prepare_locked() {
  local cache=$1 libdir=$2
  local sig pkg="" ver="" s0 p0 v0 log
  log="$cache/prepare.log"
  : >"$log"

  # 1. Which kernel package (cached resolution).
  sig="$(_vm_lists_sig) ${SWIFTVS_VM_KERNEL_PKG:-}"
  if [[ -f $cache/resolved ]] && IFS=$'\t' read -r s0 p0 v0 <"$cache/resolved" && [[ $s0 == "$sig" ]]; then
    pkg=$p0 ver=$v0
  else
    local r
    if ! r=$(_vm_resolve_kernel); then
      # No/old apt lists (fresh machine): update once and retry.
      DEBIAN_FRONTEND=noninteractive apt-get -q update >>"$log" 2>&1 || true
      sig="$(_vm_lists_sig) ${SWIFTVS_VM_KERNEL_PKG:-}"
      r=$(_vm_resolve_kernel) || r=""
    fi
    if [[ -n $r ]]; then
      pkg=${r% *} ver=${r#* }
      printf '%s\t%s\t%s\n' "$sig" "$pkg" "$ver" >"$cache/resolved"
    else
      # Offline fallback: newest kernel already in the cache.
      local d
      d=$(ls -1d "$cache"/linux-image-*/.ready 2>/dev/null | sort -V | tail -n 1)
      if [[ -z $d ]]; then
        _vm_log "cannot resolve the kernel package behind linux-image-amd64"
        tail -n 20 "$log" >&2
        return 1
      fi
      d=${d%/.ready}; d=${d##*/}
      pkg=${d%%_*} ver=${d#*_}
    fi
  fi

  # 2. Kernel + modules (download, extract, depmod) once per package version.
  local key dir
  key="${pkg}_${ver//:/%3a}"
  dir="$cache/$key"
  if [[ ! -f $dir/.ready ]]; then
    [[ -n ${VM_VERBOSE:-} ]] && _vm_log "preparing guest kernel $pkg $ver (one-time)"
    local tmp deb
    tmp=$(mktemp -d "$cache/.build.XXXXXX")
    chmod 755 "$tmp"
    if ! (cd "$tmp" && apt-get download -q "$pkg=$ver") >>"$log" 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get -q update >>"$log" 2>&1 || true
      if ! (cd "$tmp" && apt-get download -q "$pkg=$ver") >>"$log" 2>&1; then
        _vm_log "apt-get download $pkg=$ver failed:"
        tail -n 20 "$log" >&2
        rm -rf "$tmp"
        return 1
      fi
    fi
    deb=$(ls "$tmp"/*.deb)
    if ! dpkg-deb -x "$deb" "$tmp/root" >>"$log" 2>&1; then
      _vm_log "dpkg-deb -x $deb failed"; tail -n 20 "$log" >&2; rm -rf "$tmp"; return 1
    fi
    rm -f "$deb"
    local kver
    kver=$(ls -1 "$tmp/root/lib/modules" | head -n 1)
    if [[ -z $kver || ! -f $tmp/root/boot/vmlinuz-$kver ]]; then
      _vm_log "unexpected layout in $pkg (no lib/modules/*/ or boot/vmlinuz-*)"; rm -rf "$tmp"; return 1
    fi
    if ! depmod -b "$tmp/root" "$kver" >>"$log" 2>&1; then
      _vm_log "depmod failed"; tail -n 20 "$log" >&2; rm -rf "$tmp"; return 1
    fi
    echo "$kver" >"$tmp/kver"
    touch "$tmp/.ready"
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi

  VM_KVER=$(<"$dir/kver")
  VM_VMLINUZ=$dir/root/boot/vmlinuz-$VM_KVER
  # Prefer the uncompressed vmlinux (PVH boot) when the kernel supports it.
  if [[ ! -f $dir/vmlinux && ! -f $dir/vmlinux.none ]]; then
    if grep -qx 'CONFIG_PVH=y' "$dir/root/boot/config-$VM_KVER" 2>/dev/null &&
       _vm_extract_vmlinux "$VM_VMLINUZ" "$dir/vmlinux"; then :; else
      touch "$dir/vmlinux.none"
    fi
  fi
  [[ ! -f $dir/vmlinux ]] || VM_VMLINUZ=$dir/vmlinux
  # shellcheck disable=SC2034 # used by the sourcing script
  VM_MODDIR=$dir/root/lib/modules/$VM_KVER

  # 3. Initramfs, keyed on its inputs.
  local h
  h=$({ cat "$libdir/vm-init.sh"; printf '%s\n' "${VM_INITRD_ROOT_MODULES[@]}";
        stat -c '%s %Y' /bin/busybox; declare -f _vm_build_initrd; } | sha256sum | cut -c1-16)
  VM_INITRD=$dir/initrd-$h.cpio.gz
  if [[ ! -f $VM_INITRD ]]; then
    rm -f "$dir"/initrd-*.cpio.gz
    _vm_build_initrd "$dir/root" "$VM_KVER" "$libdir/vm-init.sh" "$VM_INITRD" >>"$log" 2>&1 || {
      _vm_log "building the initramfs failed"; tail -n 20 "$log" >&2; return 1; }
  fi
  return 0
}
