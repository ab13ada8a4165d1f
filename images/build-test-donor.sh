#!/bin/bash
# Builds the BladeProvisioner test donor image: a 256 MiB raw sparse disk that boots under BIOS
# (syslinux MBR + VBR) and UEFI (syslinux.efi as \EFI\BOOT\BOOTX64.EFI), whose initramfs logs in to
# its own iSCSI root from the iBFT and prints one marker line (see images/README.md).
#
# usage: images/build-test-donor.sh [--version N] [--after MODE] [--out PATH] [--force]
#   --version N  version label inside the root filesystem ("test-donor-vN"); default 1
#   --after MODE what the OS does after its marker line (kernel command line bp.after=): poweroff (default),
#                reboot, wait (holds the iSCSI session), write (a synced 4 KiB write a second, each reported)
#   --out PATH   also place a sparse copy at PATH (the cached image stays where it is)
#   --force      rebuild even when the cache holds an image for these inputs
# Prints the image path (the --out path if given, else the cache path) on stdout, nothing else.
#
# Only Debian packages, no loop devices, no mounts, no root needed beyond reading /boot:
# mtools for FAT, mkfs.ext4 -d for the root filesystem, sfdisk for the table, dd to assemble.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=1
AFTER=poweroff
OUT=
FORCE=0
while [ $# -gt 0 ]; do
    case "$1" in
        --version) VERSION=$2; shift 2 ;;
        --after) AFTER=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --force) FORCE=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "build-test-donor: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ "$VERSION" =~ ^[0-9A-Za-z._-]+$ ]] || { echo "build-test-donor: bad --version '$VERSION'" >&2; exit 2; }
case "$AFTER" in poweroff|reboot|wait|write) ;; *) echo "build-test-donor: bad --after '$AFTER'" >&2; exit 2 ;; esac
LABEL="test-donor-v$VERSION"
log() { echo "build-test-donor: $*" >&2; }
need() { for f in "$@"; do [ -e "$f" ] || { log "missing $f (apt packages: see images/README.md)"; exit 1; }; done; }

# --- inputs -------------------------------------------------------------------------------------
# The Debian kernel linux-image-amd64 points at (not the running kernel: the host may run another).
KPKG=$(dpkg-query -W -f '${Depends}' linux-image-amd64 2>/dev/null | grep -o 'linux-image-[0-9][^ ,]*' | head -1 || true)
[ -n "$KPKG" ] || { log "linux-image-amd64 is not installed"; exit 1; }
KVER=${KPKG#linux-image-}
VMLINUZ=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
MBR=/usr/lib/syslinux/mbr/mbr.bin
EFI_LOADER=/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi
EFI_LDLINUX=/usr/lib/syslinux/modules/efi64/ldlinux.e64
ISCSISTART=/usr/sbin/iscsistart
BUSYBOX=/bin/busybox
need "$VMLINUZ" "$MODDIR/modules.dep" "$MBR" "$EFI_LOADER" "$EFI_LDLINUX" "$ISCSISTART" "$BUSYBOX" \
     /usr/bin/mcopy /usr/sbin/mkfs.vfat /usr/sbin/mkfs.ext4 /usr/sbin/sfdisk /usr/bin/syslinux /usr/bin/ssh-keygen
"$BUSYBOX" --list | grep -x findfs > /dev/null || { log "$BUSYBOX is not busybox-static"; exit 1; }

# Modules the initramfs needs (iBFT, iSCSI over TCP, SCSI disk, NICs QEMU blades use, ext4),
# resolved with their dependencies in load order.
MODULES="iscsi_ibft iscsi_tcp sd_mod ext4 e1000 e1000e virtio_net virtio_pci"
MODPATHS=$(for m in $MODULES; do modprobe -S "$KVER" --show-depends "$m"; done \
    | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
LIBS=$(ldd "$ISCSISTART" | grep -o '/[^ ]*' | sort -u)

# Partition geometry (512-byte sectors): p1 FAT32 96 MiB from 1 MiB, p2 ext4 to the end of 256 MiB.
DISK_MIB=256
P1_START=2048
P1_SECTORS=196608
P2_START=$((P1_START + P1_SECTORS))
P2_SECTORS=$((DISK_MIB * 2048 - P2_START))
SYSLINUX_CFG="SERIAL 0 115200
DEFAULT bp
PROMPT 0
TIMEOUT 0
LABEL bp
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND console=ttyS0,115200 loglevel=4 bp.after=$AFTER
"

# Cache key: every input's content plus this script, the init and the parameters.
KEY=$( {
    echo "label=$LABEL disk=$DISK_MIB p1=$P1_START+$P1_SECTORS modules=$MODULES"
    printf '%s' "$SYSLINUX_CFG"
    sha256sum "$0" "$HERE/initramfs/init" "$VMLINUZ" "$MBR" "$EFI_LOADER" "$EFI_LDLINUX" \
        "$ISCSISTART" "$BUSYBOX" $MODPATHS $LIBS /usr/lib/syslinux/modules/bios/ldlinux.c32 \
        | cut -d' ' -f1   # digests only: the key must not depend on how the script was called
    dpkg-query -W -f '${Package} ${Version}\n' syslinux mtools dosfstools e2fsprogs fdisk 2>/dev/null
} | sha256sum | cut -c1-16)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/bladeprovisioner/images
IMG=$CACHE/$LABEL-$KEY.img

exec 3>&1 1>&2   # stdout carries only the image path; everything else goes to stderr
emit() {
    if [ -n "$OUT" ]; then
        mkdir -p "$(dirname "$OUT")"
        cp --sparse=always --reflink=auto "$IMG" "$OUT.tmp.$$" && mv -f "$OUT.tmp.$$" "$OUT"
        echo "$OUT" >&3
    else
        echo "$IMG" >&3
    fi
}
if [ "$FORCE" = 0 ] && [ -s "$IMG" ]; then
    log "cached: $IMG"
    emit
    exit 0
fi

# --- build --------------------------------------------------------------------------------------
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.build-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=1
log "building $LABEL (kernel $KVER) in $WORK"

# initramfs: busybox-static, iscsistart + its libraries, modules, our /init.
R=$WORK/initramfs
mkdir -p "$R"/{bin,sbin,dev,proc,sys,run,tmp,root,etc/iscsi,var/lock,lib/modules}
cp "$BUSYBOX" "$R/bin/busybox"
cp "$ISCSISTART" "$R/sbin/iscsistart"
for lib in $LIBS; do mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"; done
for p in $MODPATHS; do cp "$p" "$R/lib/modules/"; basename "$p"; done > "$R/lib/modules/load.order"
install -m 0755 "$HERE/initramfs/init" "$R/init"
echo "InitiatorName=iqn.2000-01.invalid:unset" > "$R/etc/iscsi/initiatorname.iscsi"  # iBFT wins
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -9n) > "$WORK/initrd.img"

# p1: FAT32 boot partition. Hidden sectors = its start, so the VBR finds itself under BIOS.
printf '%s' "$SYSLINUX_CFG" > "$WORK/syslinux.cfg"
P1=$WORK/p1.img
truncate -s $((P1_SECTORS * 512)) "$P1"
mkfs.vfat -F 32 -n BPBOOT -h "$P1_START" --invariant "$P1" > /dev/null
mcopy -i "$P1" "$VMLINUZ" ::/vmlinuz
mcopy -i "$P1" "$WORK/initrd.img" "$WORK/syslinux.cfg" ::/
mmd -i "$P1" ::/EFI ::/EFI/BOOT
mcopy -i "$P1" "$EFI_LOADER" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$P1" "$EFI_LDLINUX" "$WORK/syslinux.cfg" ::/EFI/BOOT/

# p2: ext4 root filesystem with the version label the marker reports.
ROOTFS=$WORK/rootfs
mkdir -p "$ROOTFS/etc/bladeprovisioner"
echo "$LABEL" > "$ROOTFS/etc/bladeprovisioner/image-version"
cat > "$ROOTFS/etc/os-release" <<EOF
NAME="BladeProvisioner test donor"
ID=bladeprovisioner-test-donor
VERSION_ID=$VERSION
EOF
# A baked-in identity, as a donor captured from a server in use carries: a machine-id, SSH host keys, its own host
# name and initiator name. The appliance replaces each on every clone; the OS reports what it finds (IDENTITY line).
mkdir -p "$ROOTFS/etc/ssh" "$ROOTFS/etc/iscsi"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$ROOTFS/etc/machine-id"
echo >> "$ROOTFS/etc/machine-id"
echo "$LABEL" > "$ROOTFS/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$LABEL" > "$ROOTFS/etc/hosts"
echo "InitiatorName=iqn.2000-01.invalid:$LABEL" > "$ROOTFS/etc/iscsi/initiatorname.iscsi"
ssh-keygen -q -t ed25519 -N '' -C "root@$LABEL" -f "$ROOTFS/etc/ssh/ssh_host_ed25519_key"
P2=$WORK/p2.img
truncate -s $((P2_SECTORS * 512)) "$P2"
mkfs.ext4 -q -F -L BPROOT -d "$ROOTFS" "$P2"

# disk: table, MBR boot code, partitions, then syslinux's BIOS loader into p1 (mtools, no mounts).
D=$WORK/disk.img
truncate -s ${DISK_MIB}M "$D"
printf 'label: dos\nstart=%d, size=%d, type=c, bootable\nstart=%d, size=%d, type=83\n' \
    "$P1_START" "$P1_SECTORS" "$P2_START" "$P2_SECTORS" | sfdisk -q "$D"
dd if="$MBR" of="$D" bs=440 count=1 conv=notrunc status=none
dd if="$P1" of="$D" bs=1M seek=$((P1_START / 2048)) conv=notrunc,sparse status=none
dd if="$P2" of="$D" bs=1M seek=$((P2_START / 2048)) conv=notrunc,sparse status=none
syslinux --offset $((P1_START * 512)) --install "$D"
mv -f "$D" "$IMG"
for old in "$CACHE/$LABEL"-*.img; do [ "$old" = "$IMG" ] || rm -f "$old"; done   # superseded builds
log "built $IMG ($(du -h "$IMG" | cut -f1) allocated of ${DISK_MIB}M)"
emit
