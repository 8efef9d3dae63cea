# The steps the QEMU guest runs once per tool set (sourced by /init; plain POSIX sh for busybox ash).
#
# Each `step NAME FLAGS COMMAND` runs COMMAND with `sh -c` and records, under $RES/$SET/NN-NAME/:
# cmd, out (stdout), err (stderr), rc (exit status), modules (/proc/modules without the load
# addresses, which differ from load to load) and dmesg (the kernel's new lines, timestamps removed).
# FLAGS: `-` none; `m` the step needs modprobe; `d` a
# documented, deliberate difference (README); `e` an example module of the repository (also
# compared with the sandbox kernel by the Rust test).
# The tools under test are called by full path, /sbin/NAME: busybox's ash runs its own applets for
# bare names. /sbin/NAME is a link to kmod or to lkm, switched by /init between the runs.

K=$M/kernel
X=$M/extra
T=/test
# Modules the steps may leave loaded, in an order that unloads them (users before what they use).
ALL_MODS="consumer provider params hello acme 8021q garp mrp stp llc dummy loop libcrc32c crc32c_generic"

step() {
    name=$1 flags=$2 cmd=$3
    n=$((n + 1))
    d=$RES/$SET/$(printf %02d "$n")-$name
    mkdir -p "$d"
    printf '%s\n' "$cmd" >"$d/cmd"
    printf '%s\n' "$flags" >"$d/flags"
    dmesg -c >/dev/null
    sh -c "$cmd" >"$d/out" 2>"$d/err" </dev/null
    echo $? >"$d/rc"
    sed -E 's/ 0x[0-9a-f]+//' /proc/modules >"$d/modules"
    dmesg -c | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' >"$d/dmesg"
}

# Back to the starting state with busybox's rmmod, whatever the step left behind: the next step must
# not depend on how well the previous one went.
reset() {
    for m in $ALL_MODS; do grep -q "^$m " /proc/modules && busybox rmmod "$m" 2>/dev/null; done
    grep -q '^noexit ' /proc/modules && busybox rmmod -f noexit 2>/dev/null
    dmesg -c >/dev/null
    return 0
}

run_steps() {
    n=0
    reset
    # insmod: parameters, errors of every kind, compressed files, force.
    step insmod-params - "/sbin/insmod $K/drivers/net/dummy.ko numdummies=2 && ls /sys/class/net | grep dummy"
    step insmod-duplicate - "/sbin/insmod $K/drivers/net/dummy.ko"
    step lsmod - "/sbin/lsmod"
    step rmmod - "/sbin/rmmod dummy"
    step rmmod-not-loaded - "/sbin/rmmod dummy"
    step rmmod-unknown - "/sbin/rmmod no_such_module"
    step insmod-no-file - "/sbin/insmod /nonexistent/x.ko"
    step insmod-not-a-module - "/sbin/insmod $T/text.ko"
    step insmod-short-file - "/sbin/insmod $T/short.ko"
    step insmod-unknown-symbol - "/sbin/insmod $K/net/8021q/8021q.ko"
    step insmod-bad-param-value - "/sbin/insmod $K/drivers/block/loop.ko max_loop=abc"
    step insmod-unknown-param - "/sbin/insmod $K/drivers/block/loop.ko no_such_param=1 && cat /sys/module/loop/parameters/max_loop"
    reset
    step insmod-not-root - "su -s /bin/sh nobody -c '/sbin/insmod $K/drivers/net/dummy.ko'"
    step rmmod-not-root - "/sbin/insmod $K/drivers/net/dummy.ko && su -s /bin/sh nobody -c '/sbin/rmmod dummy'"
    reset
    step insmod-xz - "/sbin/insmod $T/dummy.ko.xz numdummies=1 && /sbin/rmmod dummy"
    step insmod-zst - "/sbin/insmod $T/dummy.ko.zst numdummies=1 && /sbin/rmmod dummy"
    step insmod-gz d "/sbin/insmod $T/dummy.ko.gz numdummies=1"
    reset
    # A dependency chain by hand: holders, their order, removal of a used module, forced or not.
    step insmod-chain - "for m in llc/llc 802/stp 802/garp 802/mrp 8021q/8021q; do /sbin/insmod $K/net/\$m.ko || exit; done"
    step lsmod-holders - "/sbin/lsmod"
    step rmmod-in-use - "/sbin/rmmod llc"
    step rmmod-force-in-use - "/sbin/rmmod -f llc"
    step rmmod-several - "/sbin/rmmod 8021q garp mrp stp llc"
    step rmmod-builtin - "/sbin/rmmod unix"
    step rmmod-no-exit - "/sbin/insmod $X/noexit.ko && /sbin/rmmod noexit"
    step rmmod-force-no-exit - "/sbin/rmmod -f noexit && cat /proc/sys/kernel/tainted"
    step rmmod-file-name - "/sbin/insmod $K/drivers/net/dummy.ko && /sbin/rmmod $K/drivers/net/dummy.ko"
    step insmod-force - "/sbin/insmod -f $X/hello.ko && /sbin/rmmod hello"
    reset
    # The repository's examples, as a student runs them.
    step ex-hello-load e "/sbin/insmod $X/hello.ko"
    step ex-hello-unload e "/sbin/rmmod hello"
    step ex-params-load e "/sbin/insmod $X/params.ko myint=42 mycharp=hi myintarray=1,2,3 mystring=hello verbose=3 myinvbool=n && cat /sys/module/params/parameters/myint"
    step ex-params-write e "echo 9 > /sys/module/params/parameters/verbose && cat /sys/module/params/parameters/verbose"
    step ex-params-unload e "/sbin/rmmod params"
    step ex-export-load e "/sbin/insmod $X/provider.ko && /sbin/insmod $X/consumer.ko"
    step ex-export-unload e "/sbin/rmmod consumer provider"
    step ex-chardev-load e "/sbin/insmod $X/acme.ko && grep acme /proc/devices"
    step ex-chardev-io e "echo hello > /dev/acme && cat /dev/acme"
    step ex-chardev-unload e "/sbin/rmmod acme"
    reset
    # modprobe: dependencies, removal, dry runs, built-in modules, the kernel's own requests.
    step modprobe-deps m "/sbin/modprobe 8021q && /sbin/lsmod"
    step modprobe-remove m "/sbin/modprobe -r 8021q; cut -d' ' -f1 /proc/modules"
    reset
    step modprobe-dry-run m "/sbin/modprobe -D 8021q"
    step modprobe-params m "/sbin/modprobe dummy numdummies=3 && ls /sys/class/net | grep dummy && /sbin/modprobe -r dummy"
    step modprobe-unknown m "/sbin/modprobe no_such_module"
    step modprobe-builtin m "/sbin/modprobe unix && /sbin/modprobe -r unix"
    step modprobe-alias m "/sbin/modprobe crypto-crc32c && /sbin/modprobe -r crc32c_generic"
    reset
    step kernel-request m "echo /sbin/modprobe > /proc/sys/kernel/modprobe && /sbin/insmod $K/lib/libcrc32c.ko && cut -d' ' -f1 /proc/modules"
    reset
    # depmod on a copy of the guest's tree: the checksums of the ten files kmod's depmod writes.
    rm -rf /tmp/dm && mkdir -p /tmp/dm/lib && cp -a /lib/modules /tmp/dm/lib/
    step depmod - "/sbin/depmod -b /tmp/dm $KVER && cd /tmp/dm/lib/modules/$KVER && md5sum modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep modules.symbols modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin modules.devname"
    step modinfo - "/sbin/modinfo dummy"
    reset
}

# After `echo 1 > /sys/module/module/parameters/sig_enforce` (one-way: Linux never turns it off
# again), so run last: unsigned modules are refused (EKEYREJECTED), Debian's signed ones still load,
# also when lkm decompresses them.
run_enforced_steps() {
    n=100
    reset
    step enforced-unsigned - "/sbin/insmod $X/hello.ko"
    step enforced-signed - "/sbin/insmod $K/drivers/net/dummy.ko && /sbin/rmmod dummy"
    step enforced-signed-xz - "/sbin/insmod $T/dummy.ko.xz && /sbin/rmmod dummy"
    step enforced-force - "/sbin/insmod -f $K/drivers/net/dummy.ko"
    reset
}
