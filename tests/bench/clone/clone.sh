#!/usr/bin/env bash
# Clone benchmark, one run, all peers side by side (rounds interleave the tools so machine noise hits all alike):
#   copy path on ext4 (/tmp): our VolumeCopier vs `cp --sparse=always` vs `qemu-img convert -O raw`,
#     donors: 2 GiB holding 1 GiB of data, 4 GiB holding 25 % data; page cache warm, `sync` before each run;
#   reflink path on a loop-mounted XFS (mkfs.xfs -m reflink=1): ours vs `cp --reflink=always`.
# Ours is timed inside the process (the appliance is a long-running host) and includes its fdatasync checkpoints
# and final fdatasync: the copy is durable when it returns. cp is not; `cp+fdatasync` adds `sync --data` for a
# like-for-like figure. Repetitions go through tests/bench/lib/bench.sh: every round measures each tool once, in an
# order that rotates per round; figures are medians with their min-max spread, ratios paired per round.
# Needs root (loop mount), xfsprogs, qemu-utils, bc, dotnet. Usage: tests/bench/clone/clone.sh  (REPS=5 by default;
# ROUNDS is read too). Without root the reflink figures are skipped; without a tool the whole run is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-${ROUNDS:-5}}
# shellcheck source=tests/bench/lib/bench.sh
. "$here/../lib/bench.sh"
for tool in qemu-img bc dotnet cmp; do
  command -v "$tool" >/dev/null || bench_skip clone "missing $tool: apt-get install qemu-utils bc"
done
work=$(mktemp -d /tmp/bpclone-bench-XXXXXX)
mnt="$work/xfs"

cleanup() {
  set +e
  if mountpoint -q "$mnt"; then umount "$mnt"; fi
  rm -rf "$work"
}
trap cleanup EXIT

bench_start
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

for donor in d2 d4; do
  src="$work/$donor.raw"
  dst="$work/$donor.out"
  size=$(stat -c %s "$src")
  for ((r = 1; r <= BENCH_REPS; r++)); do
    for tool in $(bench_order "$r" ours cp cpsync qemu); do
      prepare "$src" "$dst"
      case "$tool" in
        ours) v=$(ours "$src" "$dst" "$size" copy); if ((r == 1)); then cmp "$src" "$dst"; fi ;;
        cp) v=$(wall cp_sparse "$src" "$dst") ;;
        cpsync) v=$(wall cp_durable "$src" "$dst") ;;
        qemu) v=$(wall qemu_raw "$src" "$dst") ;;
      esac
      bench_record "$donor.$tool" "$v"
    done
  done
  rm -f "$dst"
done

reflink=0
if [[ $(id -u) -eq 0 ]] && command -v mkfs.xfs >/dev/null; then
  reflink=1
  truncate -s 8G "$work/xfs.img"
  mkfs.xfs -q -m reflink=1 "$work/xfs.img"
  mkdir -p "$mnt"
  mount -o loop "$work/xfs.img" "$mnt"
  for donor in d2 d4; do
    cp --sparse=always "$work/$donor.raw" "$mnt/$donor.raw"
    size=$(stat -c %s "$mnt/$donor.raw")
    for ((r = 1; r <= BENCH_REPS; r++)); do
      for tool in $(bench_order "$r" reflink cpreflink); do
        rm -f "$mnt/out.raw"; sync
        if [ "$tool" = reflink ]; then v=$(ours "$mnt/$donor.raw" "$mnt/out.raw" "$size" reflink)
        else v=$(wall cp --reflink=always "$mnt/$donor.raw" "$mnt/out.raw"); fi
        bench_record "$donor.$tool" "$v"
      done
    done
  done
fi

bench_end
bench_report clone-4g d4.ours d4.cp=cp s %.3f "<=1.0"
bench_report clone-durable d2.ours d2.cpsync=cp+fdatasync s %.3f "<=1.0"
bench_report clone-durable-4g d4.ours d4.cpsync=cp+fdatasync s %.3f "<=1.0"
bench_report clone-qemu-img d2.ours d2.qemu=qemu-img s %.3f
bench_report clone-qemu-img-4g d4.ours d4.qemu=qemu-img s %.3f
if [ "$reflink" = 1 ]; then
  bench_report clone-reflink-4g d4.reflink d4.cpreflink=cp-reflink s %.3f
  bench_report clone-reflink d2.reflink d2.cpreflink=cp-reflink s %.3f
else
  echo "BENCH clone-reflink: skipped (needs root and xfsprogs for the loop-mounted XFS)"
fi
bench_report clone d2.ours d2.cp=cp s %.3f "<=1.0"
