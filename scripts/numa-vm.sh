#!/usr/bin/env bash
# Runs COMMAND inside a QEMU guest that has real NUMA nodes, so the multi-node
# paths meet a kernel with several nodes (mbind, move_pages, hwloc) on a
# one-node machine.
# Usage: scripts/numa-vm.sh [--nodes N] [--cpus N] [--mem MiB] [--timeout S]
#                           [--rw DIR] [--accel tcg|tcg-mt|kvm] -- COMMAND [ARG...]
#   --nodes N    NUMA nodes, 1-8 (default 2); CPUs and memory split evenly,
#                SLIT distances 10 local, 20 remote (16/32 within/across pairs
#                of nodes when there are more than 2)
#   --cpus N     vCPUs, a multiple of --nodes (default: one per node)
#   --mem MiB    guest memory, split across the nodes (default 512 per node)
#   --timeout S  wall-clock bound on the whole guest run (default 600)
#   --rw DIR     the one host directory the guest may write, shared at the same
#                path (default: the current directory)
#   --accel A    tcg (default; works everywhere): all vCPUs on one host thread;
#                tcg-mt: a host thread per vCPU, faster with host cores to spare,
#                but QEMU 7.2's can freeze the guest (the note at ACCELS); kvm
# The guest sees the host's root read-only at the same paths (its own tmpfs on
# /tmp, /run, /var/tmp hides the host's), runs COMMAND as root in the current directory with PATH,
# LANG, the host's SHEAFBENCH_* variables (not SHEAFBENCH_TOPOLOGY: the nodes
# are real here), SHEAFBENCH_EMULATED=qemu-<accel> and SHEAFBENCH_VM_NODES=N.
# COMMAND's stdout, stderr and exit status come back through a shared run
# directory; QEMU's own exit status is never used.
# Exit: COMMAND's status; 2 bad option; 77 the guest cannot run here (no TCG,
# packages missing and not root): ctest's SKIP_RETURN_CODE; 1 other failure
# (the guest did not finish, or timed out; its console log is named).
# Packages (installed when root): qemu-system-x86 linux-image-amd64
# busybox-static cpio numactl kmod.  The initramfs is built from the installed
# kernel's own modules and cached, with the kernel unpacked for a direct (PVH)
# boot, in $SHEAFBENCH_VM_DIR (default build-vm/); SHEAFBENCH_VM_KEEP=1 keeps
# the run directory (console log, command's output) after a successful run.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
me=numa-vm

SKIP=77
usage_error() { echo "$me: $*" >&2; exit 2; }
skip() { echo "$me: skipped: $*" >&2; exit $SKIP; }
die() { echo "$me: $*" >&2; exit 1; }

# package:what for (one list: install and the "missing" line come from it)
VM_PACKAGES=(
	"qemu-system-x86:the emulator"
	"linux-image-amd64:the guest kernel and its modules"
	"busybox-static:the initramfs userland"
	"cpio:packs the initramfs"
	"numactl:numactl in the guest"
	"kmod:module dependency order"
)

# --accel name:QEMU's -accel value (one list: parsing, "allowed:" and the boot
# come from it).  Plain tcg is single-threaded on purpose: with a thread per
# vCPU, QEMU 7.2 can keep executing a translation of kernel text made while
# another vCPU was patching it (a static key's int3), after the patch is done.
# The guest's int3 handler sees no int3 in memory and re-runs the instruction,
# forever, in finish_task_switch() with the runqueue lock held and IRQs off;
# the other vCPUs spin on that lock: the guest freezes with an empty console.
# Every workload run toggles such keys (per-thread perf software events), and
# 4 vCPUs on 2 host cores hit it within a few runs.  One TCG thread cannot
# translate and patch at once.
ACCELS=(
	"tcg:tcg,thread=single"
	"tcg-mt:tcg,thread=multi"
	"kvm:kvm"
)

nodes=2 cpus="" mem="" timeout_s=600 rw=$PWD accel=tcg

# QEMU's -accel value for --accel $1, or nothing if $1 is not in ACCELS.
accel_value() {
	local entry
	for entry in "${ACCELS[@]}"; do
		[[ ${entry%%:*} == "$1" ]] && { echo "${entry#*:}"; return 0; }
	done
	return 1
}

# "tcg, tcg-mt, kvm": the names in ACCELS.
accel_names() {
	local entry names=""
	for entry in "${ACCELS[@]}"; do names+="${names:+, }${entry%%:*}"; done
	echo "$names"
}

# --opt VALUE: VALUE an integer in [min, max]
parse_int() {
	local opt=$1 val=$2 min=$3 max=$4
	[[ $val =~ ^[0-9]+$ ]] && ((10#$val >= min && 10#$val <= max)) ||
		usage_error "$opt: '$val' is not an integer in $min-$max"
	echo $((10#$val))
}

parse_options() {
	while [[ $# -gt 0 ]]; do
		case $1 in
		--nodes|--cpus|--mem|--timeout|--rw|--accel)
			[[ $# -ge 2 ]] || usage_error "$1: needs a value"
			case $1 in
			--nodes) nodes=$(parse_int "$1" "$2" 1 8) || exit 2 ;;
			--cpus) cpus=$(parse_int "$1" "$2" 1 64) || exit 2 ;;
			--mem) mem=$(parse_int "$1" "$2" 128 65536) || exit 2 ;;
			--timeout) timeout_s=$(parse_int "$1" "$2" 1 86400) || exit 2 ;;
			--rw) [[ -d $2 ]] || usage_error "--rw: '$2' is not a directory"
			      rw=$(cd "$2" && pwd) ;;
			--accel) accel_value "$2" >/dev/null ||
					usage_error "--accel: '$2' is not allowed (allowed: $(accel_names))"
				  accel=$2 ;;
			esac
			shift 2 ;;
		-h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		--) shift; break ;;
		-*) usage_error "'$1' is not an option (allowed: --nodes, --cpus, --mem, --timeout, --rw, --accel, --help)" ;;
		*) break ;;
		esac
	done
	[[ $# -gt 0 ]] || usage_error "no COMMAND given (usage: numa-vm.sh [options] -- COMMAND...)"
	cmd=("$@")
	cpus=${cpus:-$nodes}
	((cpus % nodes == 0)) || usage_error "--cpus: '$cpus' is not a multiple of --nodes $nodes"
	mem=${mem:-$((512 * nodes))}
	((mem % (2 * nodes) == 0 && mem / nodes >= 64)) ||
		usage_error "--mem: '$mem' must split into equal even MiB counts of at least 64 per node ($nodes nodes)"
	[[ $rw =~ [[:space:]] || $PWD =~ [[:space:]] ]] &&
		usage_error "--rw: '$rw' (or the current directory) contains whitespace, which the guest's kernel command line cannot carry"
	return 0
}

# Installs the missing packages as root; otherwise names them and skips.
ensure_packages() {
	local entry pkg missing=()
	for entry in "${VM_PACKAGES[@]}"; do
		pkg=${entry%%:*}
		[[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] ||
			missing+=("$pkg")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	[[ $(id -u) -eq 0 ]] ||
		skip "missing Debian packages: ${missing[*]} (install as root: apt-get install ${missing[*]})"
	echo "$me: installing missing Debian packages: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 ||
		skip "could not install ${missing[*]}"
}

# Newest installed Debian kernel that has its modules.
pick_kernel() {
	local v
	for v in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -rV); do
		if [[ -r /boot/vmlinuz-$v && -f /lib/modules/$v/modules.dep ]]; then
			kver=$v
			return 0
		fi
	done
	skip "no readable /boot/vmlinuz-* with modules in /lib/modules (package linux-image-amd64)"
}

# The guest's /init: mounts the host's root read-only over 9p, the run and rw
# directories writable at their own paths, runs the command, powers off.
guest_init() {
	cat <<'EOF'
#!/bin/busybox sh
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail() { echo "numa-vm guest: $*" >&2; [ -d /sbvm/. ] && echo "$*" >/sbvm/setup-error; sync; poweroff -f; }
for m in $(cat /modules.order); do insmod /lib/modules/$m || fail "insmod $m"; done
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^sbvm\.$1=//p"; }
run=$(arg run); rw=$(arg rw); top=$(arg top)
p9="trans=virtio,version=9p2000.L,msize=262144"
mount -t 9p -o $p9 sbvmrun /sbvm || fail "mount run dir"
mount -t 9p -o $p9,ro,cache=loose hostroot /newroot || fail "mount host root"
mount -t proc proc /newroot/proc && mount -t sysfs sys /newroot/sys &&
	mount -t devtmpfs dev /newroot/dev || fail "mount proc, sys, dev"
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts 2>/dev/null
mount -t tmpfs shm /newroot/dev/shm 2>/dev/null
# a tree under /tmp (a CI clone) would be hidden by the tmpfs: hold it, show it again
case $top in /tmp/*|/run/*|/var/tmp/*)
	mkdir -p /hold && mount --bind "/newroot$top" /hold || fail "hold $top" ;;
esac
for d in /tmp /run /var/tmp; do mount -t tmpfs tmpfs /newroot$d || fail "tmpfs on $d"; done
chmod 1777 /newroot/tmp /newroot/var/tmp
case $top in /tmp/*|/run/*|/var/tmp/*)
	mkdir -p "/newroot$top" && mount --move /hold "/newroot$top" || fail "show $top" ;;
esac
mkdir -p "/newroot$rw" 2>/dev/null	# under /tmp: inside the guest's tmpfs
mount -t 9p -o $p9 sbvmrw "/newroot$rw" || fail "mount $rw"
mount --bind /sbvm "/newroot$run" || fail "bind $run"
chroot /newroot /bin/bash "$run/cmd.sh" </dev/null >/sbvm/stdout 2>/sbvm/stderr
echo $? >/sbvm/status.tmp && mv /sbvm/status.tmp /sbvm/status
sync
umount "/newroot$run" "/newroot$rw" 2>/dev/null
poweroff -f
EOF
}

# Modules (dependency order) that give virtio PCI and 9p over virtio.
guest_modules() {
	local m
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -S "$kver" --show-depends "$m" || return 1
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# Builds (once per kernel and init text) and prints the initramfs path.
build_initramfs() {
	local init mods key out work m
	init=$(guest_init)
	mods=$(guest_modules) && [[ -n $mods ]] || die "modprobe finds no virtio/9p modules for kernel $kver"
	key=$(printf '%s\n%s\n' "$init" "$mods" | md5sum | cut -c1-8)
	out=$vmdir/initramfs-$kver-$key.cpio.gz
	[[ -s $out ]] && { echo "$out"; return 0; }
	ldd /bin/busybox >/dev/null 2>&1 && skip "/bin/busybox is not static (package busybox-static)"
	work=$(mktemp -d "$vmdir/initramfs.XXXXXX") || die "cannot write $vmdir"
	mkdir -p "$work"/{bin,proc,sys,dev,sbvm,newroot,lib/modules}
	cp /bin/busybox "$work/bin/busybox"
	printf '%s\n' "$init" >"$work/init" && chmod 755 "$work/init"
	for m in $mods; do
		cp "$m" "$work/lib/modules/" || die "cannot copy $m"
		basename "$m" >>"$work/modules.order"
	done
	rm -f "$vmdir/initramfs-$kver-"*.cpio.gz	# older init texts
	(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp.$$" &&
		mv "$out.tmp.$$" "$out" || die "cannot build $out"
	rm -rf "$work"
	echo "$out"
}

# Prints the kernel as an uncompressed ELF with a PVH entry, extracted once:
# QEMU boots that directly, skipping the BIOS and the kernel's own decompressor
# (10-25 s under TCG).  Falls back to the bzImage where it cannot.
guest_kernel() {
	local img=/boot/vmlinuz-$kver out=$vmdir/vmlinux-$kver fmt off
	[[ -s $out ]] && { echo "$out"; return 0; }
	for fmt in '\xfd7zXZ\x00|xz' '\x1f\x8b\x08|gzip' '\x28\xb5\x2f\xfd|zstd'; do
		command -v "${fmt#*|}" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "${fmt%|*}" "$img" | head -n 4 | cut -d: -f1); do
			tail -c +$((off + 1)) "$img" | "${fmt#*|}" -dc 2>/dev/null >"$out.tmp.$$"
			# Xen note 18 = XEN_ELFNOTE_PHYS32_ENTRY, the PVH entry point
			if readelf -n "$out.tmp.$$" 2>/dev/null | grep -q '(0x00000012)\|PHYS32_ENTRY'; then
				mv "$out.tmp.$$" "$out" && { echo "$out"; return 0; }
			fi
		done
	done
	rm -f "$out.tmp.$$"
	echo "$img"
}

# -object/-numa arguments, one a line: memory and CPUs split evenly, the SLIT table.
numa_args() {
	local per_mem=$((mem / nodes)) per_cpu=$((cpus / nodes)) i j d
	for ((i = 0; i < nodes; i++)); do
		printf '%s\n' -object "memory-backend-ram,id=m$i,size=${per_mem}M"
		printf '%s\n' -numa "node,nodeid=$i,cpus=$((i * per_cpu))-$(((i + 1) * per_cpu - 1)),memdev=m$i"
	done
	for ((i = 0; i < nodes; i++)); do
		for ((j = i + 1; j < nodes; j++)); do
			if ((nodes <= 2)); then d=20
			elif ((i / 2 == j / 2)); then d=16
			else d=32; fi
			printf '%s\n' -numa "dist,src=$i,dst=$j,val=$d"
		done
	done
}

# The script the guest runs: environment, directory, the command, quoted.
write_cmd_script() {
	local v
	{
		echo "export PATH=$(printf '%q' "$PATH") HOME=/tmp LANG=$(printf '%q' "${LANG:-C.UTF-8}")"
		echo "export SHEAFBENCH_EMULATED=qemu-$accel SHEAFBENCH_VM_NODES=$nodes"
		for v in $(compgen -e | grep '^SHEAFBENCH_' | grep -v '^SHEAFBENCH_TOPOLOGY$'); do
			[[ $v == SHEAFBENCH_EMULATED || $v == SHEAFBENCH_VM_NODES ]] && continue
			echo "export $v=$(printf '%q' "${!v}")"
		done
		echo "cd $(printf '%q' "$PWD") || exit 126"
		printf 'exec'; printf ' %q' "${cmd[@]}"; echo
	} >"$run/cmd.sh"
}

run_guest() {
	local -a qemu numa firmware=()
	local accel_opt qboot=/usr/share/qemu/qboot.rom
	accel_opt=$(accel_value "$accel")
	[[ -f $qboot ]] && firmware=(-bios "$qboot")	# seconds faster than SeaBIOS under TCG
	mapfile -t numa < <(numa_args)
	qemu=(qemu-system-x86_64 -accel "$accel_opt" -cpu max -smp "$cpus" -m "${mem}M"
		"${numa[@]}" "${firmware[@]}" -kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0 loglevel=4 printk.time=1 panic=-1 mitigations=off rdinit=/init sbvm.run=$run sbvm.rw=$rw sbvm.top=$top"
		-nodefaults -display none -no-reboot -monitor none -serial "file:$run/console.log"
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$run,mount_tag=sbvmrun,security_model=none"
		-virtfs "local,path=$rw,mount_tag=sbvmrw,security_model=none")
	timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null >"$run/qemu.log" 2>&1
}

parse_options "$@"
[[ $(uname -m) == x86_64 ]] || skip "needs an x86_64 host (the guest runs the host's binaries)"
ensure_packages
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found (package qemu-system-x86)"
qemu-system-x86_64 -accel help 2>/dev/null | grep -qx "${accel%%-*}" ||
	skip "this qemu-system-x86_64 has no ${accel%%-*} accelerator"
[[ $accel == kvm && ! -w /dev/kvm ]] && skip "--accel kvm: /dev/kvm is not usable here"
pick_kernel
vmdir=${SHEAFBENCH_VM_DIR:-$top/build-vm}
[[ $vmdir =~ [[:space:]] ]] && usage_error "SHEAFBENCH_VM_DIR: '$vmdir' contains whitespace"
mkdir -p "$vmdir" || die "cannot create $vmdir"
initrd=$(build_initramfs) || exit $?
kernel=$(guest_kernel)
run=$(mktemp -d "$vmdir/run.XXXXXX") || die "cannot create a run directory in $vmdir"
write_cmd_script

start=$(date +%s)
run_guest
rc=$?
if [[ ! -f $run/status ]]; then
	reason="the guest ended without running COMMAND to its end"
	[[ $rc -eq 124 || $rc -eq 137 ]] && reason="the guest did not finish within --timeout $timeout_s s"
	[[ -f $run/setup-error ]] && reason="guest setup failed: $(cat "$run/setup-error")"
	die "$reason (console: $run/console.log, qemu: $run/qemu.log)"
fi
cat "$run/stdout"
cat "$run/stderr" >&2
status=$(cat "$run/status")
echo "$me: $nodes nodes, $cpus vCPUs, $mem MiB, qemu-$accel: exit status $status after $(($(date +%s) - start)) s" >&2
[[ -n ${SHEAFBENCH_VM_KEEP:-} ]] || rm -rf "$run"
exit "$status"
