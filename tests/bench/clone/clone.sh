#!/usr/bin/env bash
# Clone benchmark, one run, all peers side by side (rounds interleave the tools so machine noise hits all alike):
#   copy path on ext4 (/tmp): our VolumeCopier vs `cp --sparse=always` vs `qemu-img convert -O raw`,
#     donors: 2 GiB holding 1 GiB of data, 4 GiB holding 25 % data; page cache warm, `sync` before each run;
#   reflink path on a loop-mounted XFS (mkfs.xfs -m reflink=1): ours vs `cp --reflink=always`.
# Ours is timed inside the process (the appliance is a long-running host) and includes its fdatasync checkpoints
# and final fdatasync: the copy is durable when it returns. cp is not; `cp+fdatasync` adds `sync --data` for a
# like-for-like figure. Figures are the best of $ROUNDS rounds.
# Needs root (loop mount), xfsprogs, qemu-utils, bc. Usage: tests/bench/clone/clone.sh  (ROUNDS=5 by default)
set -euo pipefail
ROUNDS=${ROUNDS:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/bpclone-bench-XXXXXX)
mnt="$work/xfs"

cleanup() {
  set +e
  if mountpoint -q "$mnt"; then umount "$mnt"; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
dotnet build "$here/CloneBench/CloneBench.csproj" -c Release -o "$work/bin" -nologo -v q >/dev/null
bench="$work/bin/CloneBench"

# Donors: 64 MiB random chunks at a fixed stride, the rest holes.
head -c 64M /dev/urandom >"$work/chunk"
make_donor() { # path size chunks stride-MiB
  for ((i = 0; i < $3; i++)); do
    dd if="$work/chunk" of="$1" bs=4M seek=$((i * $4 / 4)) conv=notrunc status=none
  done
  truncate -s "$2" "$1"
}
make_donor "$work/d2.raw" 2G 16 128
make_donor "$work/d4.raw" 4G 16 256
rm -f "$work/chunk"

now() { date +%s.%N; }
prepare() { rm -f "$2"; sync; cat "$1" >/dev/null; } # no stale dirty pages; source in the page cache
wall() { local s e; s=$(now); "$@" >/dev/null; e=$(now); echo "$e - $s" | bc -l; }
cp_sparse() { cp --sparse=always "$1" "$2"; }
cp_durable() { cp --sparse=always "$1" "$2" && sync --data "$2"; }
qemu_raw() { qemu-img convert -O raw "$1" "$2"; }
ours() { "$bench" "$1" "$2" "$3" "$4" | cut -d' ' -f1; }
best() { tr ' ' '\n' | grep . | sort -g | head -1; }
ratio() { echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'; }
fmt() { printf '%.3f' "$1"; }

declare -A t
for donor in d2 d4; do
  src="$work/$donor.raw"
  dst="$work/$donor.out"
  size=$(stat -c %s "$src")
  for ((r = 0; r < ROUNDS; r++)); do
    prepare "$src" "$dst"; t[$donor.ours]+=" $(ours "$src" "$dst" "$size" copy)"
    if ((r == 0)); then cmp "$src" "$dst"; fi
    prepare "$src" "$dst"; t[$donor.cp]+=" $(wall cp_sparse "$src" "$dst")"
    prepare "$src" "$dst"; t[$donor.cpsync]+=" $(wall cp_durable "$src" "$dst")"
    prepare "$src" "$dst"; t[$donor.qemu]+=" $(wall qemu_raw "$src" "$dst")"
  done
  rm -f "$dst"
  for k in ours cp cpsync qemu; do
    echo "# $donor $k:${t[$donor.$k]}"
  done
done

reflink_line=""
if [[ $(id -u) -eq 0 ]]; then
  truncate -s 8G "$work/xfs.img"
  mkfs.xfs -q -m reflink=1 "$work/xfs.img"
  mkdir -p "$mnt"
  mount -o loop "$work/xfs.img" "$mnt"
  for donor in d2 d4; do
    cp --sparse=always "$work/$donor.raw" "$mnt/$donor.raw"
    size=$(stat -c %s "$mnt/$donor.raw")
    for ((r = 0; r < ROUNDS; r++)); do
      rm -f "$mnt/out.raw"; sync
      t[$donor.reflink]+=" $(ours "$mnt/$donor.raw" "$mnt/out.raw" "$size" reflink)"
      rm -f "$mnt/out.raw"; sync
      t[$donor.cpreflink]+=" $(wall cp --reflink=always "$mnt/$donor.raw" "$mnt/out.raw")"
    done
    echo "# $donor reflink ours:${t[$donor.reflink]}"
    echo "# $donor reflink cp:${t[$donor.cpreflink]}"
  done
  r2=$(best <<<"${t[d2.reflink]}"); r4=$(best <<<"${t[d4.reflink]}"); c2=$(best <<<"${t[d2.cpreflink]}")
  reflink_line="BENCH clone-reflink: ours $(fmt "$r2") s (2 GiB), $(fmt "$r4") s (4 GiB); cp-reflink $(fmt "$c2") s; ratio $(ratio "$r2" "$c2")"
else
  reflink_line="BENCH clone-reflink: not measured (needs root for the loop-mounted XFS)"
fi

o2=$(best <<<"${t[d2.ours]}"); c2=$(best <<<"${t[d2.cp]}"); s2=$(best <<<"${t[d2.cpsync]}"); q2=$(best <<<"${t[d2.qemu]}")
o4=$(best <<<"${t[d4.ours]}"); c4=$(best <<<"${t[d4.cp]}"); s4=$(best <<<"${t[d4.cpsync]}"); q4=$(best <<<"${t[d4.qemu]}")
echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "BENCH clone-4g: ours $(fmt "$o4") s; cp $(fmt "$c4") s; ratio $(ratio "$o4" "$c4")"
echo "BENCH clone-durable: ours $(fmt "$o2") s; cp+fdatasync $(fmt "$s2") s; ratio $(ratio "$o2" "$s2")"
echo "BENCH clone-durable-4g: ours $(fmt "$o4") s; cp+fdatasync $(fmt "$s4") s; ratio $(ratio "$o4" "$s4")"
echo "BENCH clone-qemu-img: ours $(fmt "$o2") s; qemu-img $(fmt "$q2") s; ratio $(ratio "$o2" "$q2")"
echo "BENCH clone-qemu-img-4g: ours $(fmt "$o4") s; qemu-img $(fmt "$q4") s; ratio $(ratio "$o4" "$q4")"
echo "$reflink_line"
echo "BENCH clone: ours $(fmt "$o2") s; cp $(fmt "$c2") s; ratio $(ratio "$o2" "$c2")"
