#!/bin/bash
# Builds a real Debian 12 donor image for BladeProvisioner: a raw sparse GPT disk (BIOS boot partition,
# ESP, ext4 root) that boots under BIOS (GRUB boot.img + core.img) and UEFI (GRUB as
# \EFI\BOOT\BOOTX64.EFI), logs in to its iSCSI root from the iBFT in its initramfs, carries a baked-in
# identity (machine-id, SSH host keys, hostname, initiator name) and prints one identity line on ttyS0
# when the OS is up (see images/README.md).
#
# usage: images/build-debian-donor.sh --variant debian-12|debian-12-dracut [--size 2G] [--after MODE]
#                                     [--out PATH] [--force]
#   --variant V   debian-12: initramfs-tools + open-iscsi (ISCSI_AUTO), root=UUID=, cloud-init
#                 debian-12-dracut: dracut + dracut-network (iscsi), rd.iscsi.firmware=1, root=PARTUUID=
#   --size S      disk size (IEC suffixes, whole MiB, at least 1G); default 2G
#   --after MODE  default of bp.after= (GRUB reads it from /boot/grub/bladeprovisioner.env, editable
#                 without a rebuild): poweroff (default), reboot (once, then poweroff), wait
#   --out PATH    also place a sparse copy at PATH (the cached image stays where it is)
#   --force       rebuild even when the cache holds an image for these inputs
# Prints the image path (the --out path if given, else the cache path) on stdout, nothing else.
#
# Root needed (mmdebstrap --mode=root, chroot). No loop devices and no mounts of the image: the root
# filesystem is made with mkfs.ext4 -d from the mmdebstrap tree, the ESP with mtools, GRUB's images with
# grub-mkimage inside the tree, and the disk is assembled with sfdisk and dd.
set -euo pipefail

VARIANT=
SIZE=2G
AFTER=poweroff
OUT=
FORCE=0
while [ $# -gt 0 ]; do
    case "$1" in
        --variant) VARIANT=${2:-}; shift 2 ;;
        --size) SIZE=${2:-}; shift 2 ;;
        --after) AFTER=${2:-}; shift 2 ;;
        --out) OUT=${2:-}; shift 2 ;;
        --force) FORCE=1; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "build-debian-donor: unknown argument $1" >&2; exit 2 ;;
    esac
done
log() { echo "build-debian-donor: $*" >&2; }
die() { log "$*"; exit 1; }
case "$VARIANT" in
    debian-12|debian-12-dracut) ;;
    '') echo "build-debian-donor: --variant debian-12|debian-12-dracut is required" >&2; exit 2 ;;
    *) echo "build-debian-donor: bad --variant '$VARIANT'" >&2; exit 2 ;;
esac
case "$AFTER" in poweroff|reboot|wait) ;; *) echo "build-debian-donor: bad --after '$AFTER'" >&2; exit 2 ;; esac
SIZE_BYTES=$(numfmt --from=iec "$SIZE" 2>/dev/null) || { echo "build-debian-donor: bad --size '$SIZE'" >&2; exit 2; }
if [ $((SIZE_BYTES % 1048576)) -ne 0 ] || [ "$SIZE_BYTES" -lt 1073741824 ]; then
    echo "build-debian-donor: --size must be whole MiB and at least 1G (got $SIZE)" >&2; exit 2
fi

# --- inputs -------------------------------------------------------------------------------------
SUITE=bookworm
# The machine's own apt sources (enabled files only); mmdebstrap pastes them into the image.
SOURCES=()
[ -s /etc/apt/sources.list ] && grep -q '^[[:space:]]*deb ' /etc/apt/sources.list && SOURCES+=(/etc/apt/sources.list)
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do [ -s "$f" ] && SOURCES+=("$f"); done
[ ${#SOURCES[@]} -gt 0 ] || die "no apt sources in /etc/apt"

COMMON_PKGS="systemd,systemd-sysv,udev,dbus,linux-image-amd64,open-iscsi,grub-pc,grub-efi-amd64-bin,openssh-server,e2fsprogs,dosfstools,iproute2,ifupdown,isc-dhcp-client,iputils-ping,procps,kmod,netbase,less"
case "$VARIANT" in
    debian-12) PKGS="$COMMON_PKGS,initramfs-tools,cloud-init" ;;
    debian-12-dracut) PKGS="$COMMON_PKGS,dracut,dracut-network" ;;
esac

# Partition geometry in 512-byte sectors: p1 BIOS boot 1 MiB at 1 MiB, p2 ESP 126 MiB at 2 MiB,
# p3 root from 128 MiB to 1 MiB before the end (the last MiB holds the backup GPT).
TOTAL=$((SIZE_BYTES / 512))
P1_START=2048;   P1_SECTORS=2048
P2_START=4096;   P2_SECTORS=258048
P3_START=262144; P3_SECTORS=$((TOTAL - 2048 - P3_START))
TYPE_BIOS=21686148-6449-6E6F-744E-656564454649
TYPE_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
TYPE_ROOT=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709   # Linux root (x86-64), discoverable partitions spec

# Cache key: this script, the parameters, the apt sources and the host tools. Not the archive's state: an
# `apt-get update` on the host (any package install does one) must not throw away a donor that tests and
# running blades use; `--force` builds again from what the archive has now.
KEY=$( {
    echo "variant=$VARIANT size=$SIZE_BYTES after=$AFTER suite=$SUITE pkgs=$PKGS"
    sha256sum < "$0"
    cat "${SOURCES[@]}"
    dpkg-query -W -f '${Package} ${Version}\n' mmdebstrap e2fsprogs dosfstools mtools fdisk 2>/dev/null
} | sha256sum | cut -c1-16)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/bladeprovisioner/images
IMG=$CACHE/$VARIANT-$KEY.img

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
# One build of a variant at a time: a second caller waits for the first build and then finds it cached.
mkdir -p "$CACHE"
exec 9> "$CACHE/.lock-$VARIANT"
flock 9
if [ "$FORCE" = 0 ] && [ -s "$IMG" ]; then
    log "cached: $IMG"
    emit
    exit 0
fi

# --- build --------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root, chroot)"
for t in mmdebstrap mkfs.ext4 mkfs.vfat mcopy mmd sfdisk numfmt; do
    command -v "$t" > /dev/null || die "missing $t (apt-get install mmdebstrap e2fsprogs dosfstools mtools fdisk)"
done
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.build-$VARIANT-XXXXXX")
ROOT=$WORK/rootfs
cleanup() {
    # mmdebstrap unmounts what it mounted; should anything be left mounted under the work dir, unmount
    # it before removing the tree, and never let rm cross into another filesystem.
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$WORK/" | sort -r); do umount -l "$m" || true; done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=1
T0=$(date +%s)
log "building $VARIANT ($SIZE) from ${SOURCES[*]} in $WORK"

# Identity and ids chosen now, so GRUB's config, fstab and the filesystems agree.
uuid() { cat /proc/sys/kernel/random/uuid; }
DISK_GUID=$(uuid); P1_GUID=$(uuid); P2_GUID=$(uuid); P3_GUID=$(uuid)
ROOT_UUID=$(uuid)
ESP_ID=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')         # FAT volume id, 8 hex digits
ESP_UUID=$(echo "$ESP_ID" | tr a-f A-F | sed 's/^\(....\)/\1-/')
MACHINE_ID=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
INITIATOR="iqn.1993-08.org.debian:01:$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

# Written before the kernel package is installed, so its initramfs is built with iSCSI in it. The hook
# runs in mmdebstrap's sh with the tree as $1 (hence the single quotes).
# shellcheck disable=SC2016
case "$VARIANT" in
    debian-12)
        # open-iscsi's initramfs-tools hook: include iscsi, log in from the iBFT (iscsistart -b).
        ESSENTIAL_HOOK='mkdir -p "$1/etc/iscsi" && cp "$BP_ISCSI_INITRAMFS" "$1/etc/iscsi/iscsi.initramfs"' ;;
    debian-12-dracut)
        ESSENTIAL_HOOK='mkdir -p "$1/etc/dracut.conf.d" && cp "$BP_DRACUT_CONF" "$1/etc/dracut.conf.d/90-bladeprovisioner.conf"' ;;
esac

# The initramfs copy of this file is sourced by open-iscsi's local-top script before it decides. With
# no iBFT (a local disk, no iPXE sanboot) the iSCSI path is skipped: ISCSI_AUTO alone would make the
# initramfs wait 180 s for a network device and then DHCP on every NIC before mounting the local root.
export BP_ISCSI_INITRAMFS=$WORK/iscsi.initramfs
cat > "$BP_ISCSI_INITRAMFS" <<'EOF'
# Log in to the root LUN from the iBFT the firmware (iPXE sanboot) left in memory.
ISCSI_AUTO=true
# Inside the initramfs only: no iBFT, no iSCSI (the root is a local disk then).
if [ -e /scripts/functions ]; then
    modprobe iscsi_ibft 2> /dev/null
    [ -e /sys/firmware/ibft/target0 ] || unset ISCSI_AUTO
fi
EOF

# dracut: iSCSI from the iBFT with the classic network stack (ifup/dhclient reads the iBFT NIC); in
# bookworm's dracut 059 the systemd-networkd flavour does not configure the iBFT NIC, and Debian's
# iscsid.service runs /lib/open-iscsi/startup-checks.sh first, which dracut does not install by itself
# (it checks /etc/iscsi/initiatorname.iscsi exists, so that goes in too; the login uses the iBFT's name).
export BP_DRACUT_CONF=$WORK/dracut.conf
cat > "$BP_DRACUT_CONF" <<'EOF'
hostonly="no"
add_dracutmodules+=" network-legacy iscsi "
omit_dracutmodules+=" systemd-networkd network-manager "
install_items+=" /lib/open-iscsi/startup-checks.sh /etc/iscsi/initiatorname.iscsi "
EOF

log "mmdebstrap $SUITE: $PKGS"
mmdebstrap --mode=root --variant=apt --format=directory \
    --aptopt='APT::Install-Recommends "false"' \
    --include="$PKGS" \
    --essential-hook="$ESSENTIAL_HOOK" \
    "$SUITE" "$ROOT" "${SOURCES[@]}"
T1=$(date +%s)
log "root tree ready after $((T1 - T0)) s ($(du -sh --one-file-system "$ROOT" | cut -f1))"

KVER=$(find "$ROOT/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -1)
if [ -z "$KVER" ] || [ ! -s "$ROOT/boot/initrd.img-$KVER" ]; then die "no kernel/initramfs in $ROOT/boot"; fi
log "kernel $KVER"

# --- the identity a donor captured from a server in use carries --------------------------------
echo "$MACHINE_ID" > "$ROOT/etc/machine-id"
mkdir -p "$ROOT/var/lib/dbus"
ln -sf /etc/machine-id "$ROOT/var/lib/dbus/machine-id"
echo "$VARIANT" > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' "$VARIANT" > "$ROOT/etc/hosts"
echo "InitiatorName=$INITIATOR" > "$ROOT/etc/iscsi/initiatorname.iscsi"
chmod 0600 "$ROOT/etc/iscsi/initiatorname.iscsi"
for t in rsa ecdsa ed25519; do   # openssh-server's postinst made them; make sure, fresh for this build
    rm -f "$ROOT/etc/ssh/ssh_host_${t}_key" "$ROOT/etc/ssh/ssh_host_${t}_key.pub"
    ssh-keygen -q -t "$t" -N '' -C "root@$VARIANT" -f "$ROOT/etc/ssh/ssh_host_${t}_key"
done
mkdir -p "$ROOT/etc/bladeprovisioner"
echo "$VARIANT" > "$ROOT/etc/bladeprovisioner/image"
if [ "$VARIANT" = debian-12-dracut ]; then   # again, now that the initiator name it installs is this image's
    log "dracut: regenerating the initramfs"
    chroot "$ROOT" dracut -q -f --kver "$KVER" "/boot/initrd.img-$KVER"
fi

# --- fstab, network, cloud-init -------------------------------------------------------------------
case "$VARIANT" in
    debian-12) ROOT_SPEC="UUID=$ROOT_UUID" ;;
    debian-12-dracut) ROOT_SPEC="PARTUUID=$P3_GUID" ;;
esac
cat > "$ROOT/etc/fstab" <<EOF
# <file system> <mount point> <type> <options> <dump> <pass>
$ROOT_SPEC / ext4 errors=remount-ro 0 1
UUID=$ESP_UUID /boot/efi vfat umask=0077,nofail 0 0
EOF
mkdir -p "$ROOT/boot/efi"
# Only the loopback in ifupdown: the NIC that carries the iSCSI root is configured by the initramfs
# (from the iBFT) and must not be reconfigured under the running OS.
printf 'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n' > "$ROOT/etc/network/interfaces"
if [ "$VARIANT" = debian-12 ]; then
    cat > "$ROOT/etc/cloud/cloud.cfg.d/90-bladeprovisioner.cfg" <<'EOF'
# NoCloud (a cidata volume or ds=nocloud on the kernel command line), else None: never a wait for a
# network metadata service.
datasource_list: [ NoCloud, None ]
# The NIC carrying the iSCSI root was configured by the initramfs; cloud-init must not touch it.
network: {config: disabled}
# The identity (host keys, hostname) is the appliance's to set per clone, not cloud-init's.
ssh_deletekeys: false
ssh_genkeytypes: [rsa, ecdsa, ed25519]
preserve_hostname: true
# The image's locale (/etc/default/locale): nothing to generate on a first boot.
locale: C.UTF-8
# Growing the root partition and filesystem to the LUN is the appliance's job (offline, per clone).
growpart: {mode: "off"}
resize_rootfs: false
EOF
    echo 'LANG=C.UTF-8' > "$ROOT/etc/default/locale"
fi

# --- identity line unit ---------------------------------------------------------------------------
mkdir -p "$ROOT/usr/lib/bladeprovisioner"
cat > "$ROOT/usr/lib/bladeprovisioner/identity" <<'EOF'
#!/bin/sh
# Prints the BladeProvisioner identity line on ttyS0 and stdout (the journal). What the OS does next
# (bp.after=) is bladeprovisioner-after.service's, once cloud-init's final stage (phone_home) is done.
set -u
val() { [ -n "$1" ] && echo "$1" || echo -; }
mid=$(val "$(cat /etc/machine-id 2>/dev/null)")
host=$(val "$(hostname 2>/dev/null)")
ssh=$(val "$(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null | awk '{print $2}')")
root=$(val "$(findmnt -n -o SOURCE / 2>/dev/null)")
bytes=$(val "$(df -B1 --output=size / 2>/dev/null | sed -n 2p | tr -d ' ')")
fs=$(val "$(findmnt -n -o FSTYPE / 2>/dev/null)")
image=$(val "$(cat /etc/bladeprovisioner/image 2>/dev/null)")
line="BLADEPROVISIONER-IDENTITY machine-id=$mid hostname=$host ssh=$ssh root=$root root-bytes=$bytes root-fs=$fs image=$image"
echo "$line"
[ -c /dev/ttyS0 ] && echo "$line" > /dev/ttyS0 2>/dev/null
exit 0
EOF
chmod 0755 "$ROOT/usr/lib/bladeprovisioner/identity"
cat > "$ROOT/usr/lib/bladeprovisioner/after" <<'EOF'
#!/bin/sh
# Follows bp.after= on the kernel command line: poweroff (default), reboot (once: a marker on the root
# fs, then the rebooted OS prints the identity line again and powers off), wait (stay up).
set -u
after=poweroff
for w in $(cat /proc/cmdline); do
    case "$w" in bp.after=*) after=${w#bp.after=} ;; esac
done
marker=/var/lib/bladeprovisioner/rebooted
case "$after" in
    wait) ;;
    reboot)
        if [ ! -e "$marker" ]; then
            mkdir -p "${marker%/*}" && : > "$marker" && sync
            systemctl --no-block reboot
        else
            systemctl --no-block poweroff
        fi ;;
    *) systemctl --no-block poweroff ;;
esac
exit 0
EOF
chmod 0755 "$ROOT/usr/lib/bladeprovisioner/after"
cat > "$ROOT/etc/systemd/system/bladeprovisioner-identity.service" <<'EOF'
[Unit]
Description=BladeProvisioner identity line on the serial console
After=local-fs.target ssh.service cloud-init.service
Before=getty.target serial-getty@ttyS0.service
Wants=ssh.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/lib/bladeprovisioner/identity

[Install]
WantedBy=multi-user.target
EOF
# The power action waits for cloud-init's final stage (ordered after multi-user.target, where its
# phone_home runs), so a reboot or poweroff never cuts the first boot's phone-home short.
cat > "$ROOT/etc/systemd/system/bladeprovisioner-after.service" <<'EOF'
[Unit]
Description=BladeProvisioner bp.after= action (poweroff, reboot once, or wait)
After=multi-user.target bladeprovisioner-identity.service cloud-final.service

[Service]
Type=oneshot
ExecStart=/usr/lib/bladeprovisioner/after

[Install]
WantedBy=multi-user.target
EOF
# Root on iSCSI: at shutdown ifupdown's `ifdown -a` takes down every interface it knows, and open-iscsi's
# initramfs hook makes it know the iBFT NIC; with its address gone the root disk's session dies, writes hang
# for the 120 s replacement timeout, then fail, and the shutdown never completes. Keep every interface
# that carries an iSCSI session (the route to each connection's target) up.
cat > "$ROOT/usr/lib/bladeprovisioner/ifdown-keep-iscsi" <<'EOF'
#!/bin/sh
# ifdown -a for networking.service's stop, except lo and the interfaces that carry an iSCSI session.
set -- --exclude=lo
for c in /sys/class/iscsi_connection/connection*; do
    [ -r "$c/persistent_address" ] || continue
    dev=$(ip -o route get "$(cat "$c/persistent_address")" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
    [ -n "$dev" ] && set -- "$@" "--exclude=$dev"
done
exec /sbin/ifdown -a --read-environment "$@"
EOF
chmod 0755 "$ROOT/usr/lib/bladeprovisioner/ifdown-keep-iscsi"
mkdir -p "$ROOT/etc/systemd/system/networking.service.d"
cat > "$ROOT/etc/systemd/system/networking.service.d/90-iscsi-root.conf" <<'EOF'
[Service]
ExecStop=
ExecStop=/usr/lib/bladeprovisioner/ifdown-keep-iscsi
EOF

mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants" "$ROOT/etc/systemd/system/getty.target.wants"
ln -sf /etc/systemd/system/bladeprovisioner-identity.service \
    "$ROOT/etc/systemd/system/multi-user.target.wants/bladeprovisioner-identity.service"
ln -sf /etc/systemd/system/bladeprovisioner-after.service \
    "$ROOT/etc/systemd/system/multi-user.target.wants/bladeprovisioner-after.service"
ln -sf /lib/systemd/system/serial-getty@.service \
    "$ROOT/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"

# --- GRUB -----------------------------------------------------------------------------------------
case "$VARIANT" in
    debian-12)
        CMDLINE="root=UUID=$ROOT_UUID ro console=ttyS0,115200"
        DEFAULT_GRUB_IDS='GRUB_DISABLE_LINUX_UUID=false' ;;
    debian-12-dracut)
        CMDLINE="root=PARTUUID=$P3_GUID ro rd.iscsi.firmware=1 rd.iscsi.ibft=1 console=ttyS0,115200"
        DEFAULT_GRUB_IDS=$'GRUB_DISABLE_LINUX_UUID=true\nGRUB_DISABLE_LINUX_PARTUUID=false' ;;
esac
# For update-grub on a running clone (a kernel upgrade): the same command line and terminals.
cat > "$ROOT/etc/default/grub" <<EOF
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="${CMDLINE#* ro }"
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
$DEFAULT_GRUB_IDS
EOF
mkdir -p "$ROOT/boot/grub"
cp -a "$ROOT/usr/lib/grub/i386-pc" "$ROOT/usr/lib/grub/x86_64-efi" "$ROOT/boot/grub/"
chroot "$ROOT" grub-editenv /boot/grub/bladeprovisioner.env create
chroot "$ROOT" grub-editenv /boot/grub/bladeprovisioner.env set "bp_after=$AFTER"
cat > "$ROOT/boot/grub/grub.cfg" <<EOF
# BladeProvisioner donor $VARIANT. The prefix is (<boot disk>,gpt3)/boot/grub (core.img/BOOTX64.EFI).
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=1
set bp_after=poweroff
if [ -f \$prefix/bladeprovisioner.env ]; then load_env -f \$prefix/bladeprovisioner.env bp_after; fi
insmod part_gpt
insmod ext2
insmod gzio
menuentry "Debian GNU/Linux ($VARIANT, $KVER)" {
    linux /boot/vmlinuz-$KVER $CMDLINE bp.after=\$bp_after
    initrd /boot/initrd.img-$KVER
}
EOF
chroot "$ROOT" grub-mkimage -O i386-pc -o /tmp/core.img -p '(,gpt3)/boot/grub' biosdisk part_gpt ext2
chroot "$ROOT" grub-mkimage -O x86_64-efi -o /tmp/bootx64.efi -p '(,gpt3)/boot/grub' \
    part_gpt ext2 fat normal linux configfile search search_fs_uuid loadenv test echo gzio serial \
    terminal efi_gop efi_uga all_video
mv "$ROOT/tmp/core.img" "$ROOT/tmp/bootx64.efi" "$WORK/"
cp "$ROOT/usr/lib/grub/i386-pc/boot.img" "$WORK/boot.img"
CORE_SECTORS=$((($(stat -c %s "$WORK/core.img") + 511) / 512))
[ "$CORE_SECTORS" -le "$P1_SECTORS" ] || die "core.img ($CORE_SECTORS sectors) does not fit the BIOS boot partition"

# Leave no trace of the build host in the image.
rm -rf "${ROOT:?}"/tmp/* "$ROOT"/var/tmp/* "$ROOT"/var/cache/apt/*.bin

# --- filesystems and disk -----------------------------------------------------------------------
log "ESP (FAT32 $((P2_SECTORS / 2048)) MiB, id $ESP_UUID)"
ESP=$WORK/esp.img
truncate -s $((P2_SECTORS * 512)) "$ESP"
mkfs.vfat -F 32 -n ESP -i "$ESP_ID" -h "$P2_START" "$ESP" > /dev/null
mmd -i "$ESP" ::/EFI ::/EFI/BOOT
mcopy -i "$ESP" "$WORK/bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI

log "root filesystem (ext4 $((P3_SECTORS / 2048)) MiB, UUID $ROOT_UUID)"
RFS=$WORK/root.img
truncate -s $((P3_SECTORS * 512)) "$RFS"
mkfs.ext4 -q -F -L root -U "$ROOT_UUID" -d "$ROOT" "$RFS"

log "disk (GPT $DISK_GUID)"
D=$WORK/disk.img
truncate -s "$SIZE_BYTES" "$D"
sfdisk -q "$D" <<EOF
label: gpt
label-id: $DISK_GUID
start=$P1_START, size=$P1_SECTORS, type=$TYPE_BIOS, uuid=$P1_GUID, name="BIOS boot"
start=$P2_START, size=$P2_SECTORS, type=$TYPE_ESP, uuid=$P2_GUID, name="EFI system"
start=$P3_START, size=$P3_SECTORS, type=$TYPE_ROOT, uuid=$P3_GUID, name="root"
EOF
# BIOS: GRUB's boot.img (440 bytes, the protective MBR's table stays) told where core.img lies
# (LBA at 0x5c), its drive check made a no-op as grub-bios-setup does for disks (0x66), and core.img's
# first blocklist (0x1f4) pointed at the rest of core.img right after its first sector.
le64() { local v=$1 i; for i in 0 1 2 3 4 5 6 7; do printf '%b' "\\$(printf %03o $(((v >> (8 * i)) & 255)))"; done; }
le64 "$P1_START" | dd of="$WORK/boot.img" bs=1 seek=$((0x5c)) conv=notrunc status=none
printf '\x90\x90' | dd of="$WORK/boot.img" bs=1 seek=$((0x66)) conv=notrunc status=none
le64 $((P1_START + 1)) | dd of="$WORK/core.img" bs=1 seek=$((0x1f4)) conv=notrunc status=none
dd if="$WORK/boot.img" of="$D" bs=440 count=1 conv=notrunc status=none
dd if="$WORK/core.img" of="$D" bs=512 seek="$P1_START" conv=notrunc status=none
dd if="$ESP" of="$D" bs=1M seek=$((P2_START / 2048)) conv=notrunc,sparse status=none
dd if="$RFS" of="$D" bs=1M seek=$((P3_START / 2048)) conv=notrunc,sparse status=none
mv -f "$D" "$IMG"
# Superseded builds of this variant (exactly <variant>-<16 hex>.img: debian-12-* would also match debian-12-dracut-*)
# once unused for a day: another checkout of the project may still use its own.
for old in "$CACHE/$VARIANT"-*.img; do
    if [[ "${old##*/}" =~ ^$VARIANT-[0-9a-f]{16}\.img$ ]] && [ "$old" != "$IMG" ] && [ -n "$(find "$old" -maxdepth 0 -amin +1440)" ]; then
        rm -f "$old"
    fi
done
log "built $IMG in $(($(date +%s) - T0)) s ($(du -h "$IMG" | cut -f1) allocated of $SIZE): root UUID=$ROOT_UUID PARTUUID=$P3_GUID machine-id=$MACHINE_ID"
emit
