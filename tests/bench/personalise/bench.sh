#!/usr/bin/env bash
# Personalisation benchmark: what making a clone of the real debian-12 donor (2 GiB, ext4 root) its own machine costs,
# ours against virt-sysprep, interleaved (the order alternates per round), each on its own fresh sparse copy.
#   ours:        the clone job's steps after the copy, in-process (tests/bench/personalise/PersonaliseBench): partition
#                table for the blade (new ids, last partition grown to a 4 GiB volume), then machine-id, SSH host keys,
#                hostname, /etc/hosts, initiator name, root ext4 grown to its partition (debugfs, ssh-keygen, resize2fs).
#   virt-sysprep: `--operations machine-id,ssh-hostkeys,customize --hostname` (libguestfs's VM; TCG here, no KVM). It does less
#                (no growth, no hosts or initiator name), so the ratio flatters it.
# Each result is checked: /etc/hostname in the root reads the new name, /etc/machine-id no longer the donor's.
# Needs root, the donor (images/build-debian-donor.sh --variant debian-12, cached), libguestfs-tools, e2fsprogs, jq.
# Usage: tests/bench/personalise/bench.sh   (REPS=3 by default, RUNS is read too; each virt-sysprep run is about a
# minute here). Repetitions interleave through tests/bench/lib/bench.sh (the order alternates per repetition).
# Ends with: BENCH personalise: ours <s> s; virt-sysprep <s> s; ratio <r>   (medians; spread and verdict above)
# Without a prerequisite (tools, root, the donor) it prints `BENCH personalise: skipped (<why>)` and exits 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
# shellcheck source=tests/bench/lib/bench.sh
. "$here/../lib/bench.sh"
for tool in virt-sysprep debugfs sfdisk jq bc dotnet; do
  command -v "$tool" >/dev/null || bench_skip personalise "missing $tool: apt-get install libguestfs-tools e2fsprogs fdisk jq bc"
done
[ "$(id -u)" = 0 ] || bench_skip personalise "needs root"
work=$(mktemp -d /tmp/bp-personalise-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg LIBGUESTFS_CACHEDIR="$work/guestfs"
mkdir -p "$work/guestfs"

bench_start
donor=$("$repo/images/build-debian-donor.sh" --variant debian-12 2>"$work/donor.log" | tail -1) || true
if [ -z "$donor" ] || [ ! -s "$donor" ]; then
  tail -n 5 "$work/donor.log" >&2
  bench_skip personalise "no debian-12 donor: images/build-debian-donor.sh --variant debian-12 did not give one"
fi
dotnet build "$here/PersonaliseBench/PersonaliseBench.csproj" -c Release -o "$work/bin" -nologo -v q >/dev/null
size=$((4 * 1024 * 1024 * 1024))

# The root partition (the last one) and what the donor's root says, read with debugfs at the partition's offset.
root_offset() { sfdisk --json "$1" 2>/dev/null | jq -r '.partitiontable as $t | $t.partitions[-1].start * $t.sectorsize'; }
cat_root() { debugfs -R "cat $2" "$1?offset=$(root_offset "$1")" 2>/dev/null; }
donor_id=$(cat_root "$donor" /etc/machine-id)

now() { date +%s.%N; }
fresh() { rm -f "$work/v.img"; cp --sparse=always "$donor" "$work/v.img"; sync; }
check() { # tool hostname
  local h m
  h=$(cat_root "$work/v.img" /etc/hostname)
  m=$(cat_root "$work/v.img" /etc/machine-id)
  if [[ "$h" != "$2" || "$m" == "$donor_id" ]]; then
    echo "bench: $1 did not personalise (hostname '$h', machine-id '${m:-empty}')" >&2
    exit 1
  fi
}
run_ours() { # round
  local line
  line=$("$work/bin/PersonaliseBench" "$donor" "$work/v.img" "$size" "bench-ours-$1")
  check ours "bench-ours-$1"
  echo "ours round $1: ${line%% *} s (table, OS: $(echo "$line" | cut -d' ' -f2-3)), root $(echo "$line" | cut -d' ' -f4) -> $(echo "$line" | cut -d' ' -f5) bytes" >&2
  echo "${line%% *}"
}
run_sysprep() { # round
  local s e
  s=$(now)
  virt-sysprep --format raw -a "$work/v.img" --operations machine-id,ssh-hostkeys,customize --hostname "bench-sysprep-$1" >/dev/null 2>&1
  e=$(now)
  truncate -s "$size" "$work/v.img"   # same volume size for the check (virt-sysprep does not grow anything)
  check virt-sysprep "bench-sysprep-$1"
  echo "virt-sysprep round $1: $(echo "$e - $s" | bc -l) s" >&2
  echo "$e - $s" | bc -l
}

for ((i = 1; i <= BENCH_REPS; i++)); do
  for tool in $(bench_order "$i" ours virt-sysprep); do
    fresh
    if [ "$tool" = ours ]; then t=$(run_ours "$i"); else t=$(run_sysprep "$i"); fi
    bench_record "$tool" "$t"
  done
done

bench_end
bench_report personalise ours virt-sysprep s %.3f
