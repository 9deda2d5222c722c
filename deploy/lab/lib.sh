# shellcheck shell=bash disable=SC2034  # the settings below are used by the scripts sourcing this file
# Shared settings and helpers of the local swarm lab (sourced by up, down, status, env).
#
# Everything the lab owns lives under $ROOT/var/lab, where ROOT is the checkout that holds
# this file, so two checkouts in two folders never share state. A process counts as ours
# only when its command line (or its working directory) names that folder: we signal only
# pids recorded in our own files, after checking that, and never by process name.

set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$LAB_DIR/../.." && pwd -P)
VAR=$ROOT/var/lab
# var/lab/: pg/ + pg-run/ (PostgreSQL cluster and socket dir), redis.pid, docker/ docker-exec/
# docker.sock docker.pid (manager engine), docker-w1* (worker engine), registry/ registry.yml
# htpasswd registry-password (mode 600), docker-config/ (the login used to push), *.log.

# Network: a namespace for the worker node, joined to the host by a veth pair.
NETNS=lab-w1
NETNS_FILE=/var/run/netns/$NETNS
HOST_IF=lab-h1
NS_IF=lab-w1
HOST_IP=10.210.0.1
NS_IP=10.210.0.2
NET_PREFIX=24
WORKER_HOSTNAME=lab-w1

# Services.
PG_PORT=5433
PG_DB=davit
PG_DIR=$VAR/pg
PG_SOCK_DIR=$VAR/pg-run
REDIS_PORT=6380
REDIS_PIDFILE=$VAR/redis.pid
REG_PORT=5001
REGISTRY=$HOST_IP:$REG_PORT
REG_USER=davit
REG_PASSWORD_FILE=$VAR/registry-password
REG_PIDFILE=$VAR/registry.pid
SWARM_PORT=2377
LAB_PORTS=("$PG_PORT" "$REDIS_PORT" "$REG_PORT" "$SWARM_PORT")
IMAGE=lab/busybox:1

# The two Docker engines: manager on the host, worker inside the namespace.
MGR_SOCK=$VAR/docker.sock
MGR_DATA=$VAR/docker
MGR_EXEC=$VAR/docker-exec
MGR_PIDFILE=$VAR/docker.pid
W1_SOCK=$VAR/docker-w1.sock
W1_DATA=$VAR/docker-w1
W1_EXEC=$VAR/docker-w1-exec
W1_PIDFILE=$VAR/docker-w1.pid

# Binaries.
if [[ -x /usr/local/bin/docker ]]; then DOCKER_BIN=/usr/local/bin/docker; else DOCKER_BIN=/usr/bin/docker; fi
PG_BIN=
for _d in /usr/lib/postgresql/*/bin; do [[ -x $_d/initdb ]] && PG_BIN=$_d; done
unset _d

# ---------------------------------------------------------------- output

say() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: ERROR: %s\n' "$*" >&2; exit 1; }
# One status line per component: NAME STATE DETAIL.
report() { printf '  %-10s %-9s %s\n' "$1" "$2" "${3:-}"; }

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (it manages network namespaces and Docker engines)"; }

# Docker client bound to one of our engines: dk mgr|w1 ARGS...
dk() {
    local sock
    case $1 in mgr) sock=$MGR_SOCK ;; w1) sock=$W1_SOCK ;; *) die "dk: unknown engine $1" ;; esac
    shift
    DOCKER_HOST=unix://$sock DOCKER_CONFIG=$VAR/docker-config "$DOCKER_BIN" "$@"
}

# ---------------------------------------------------------------- processes

# True when PID runs. A zombie counts as gone: this machine's init reaps orphans late, and
# kill -0 still succeeds on a zombie.
pid_alive() {
    local stat
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# True when the argument list of PID names a path inside our var/lab.
_cmdline_is_ours() {
    local a args=()
    [[ -r /proc/$1/cmdline ]] || return 1
    mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || return 1
    for a in "${args[@]}"; do
        a=${a#unix://}
        a=${a#*=}
        [[ $a == "$VAR" || $a == "$VAR"/* ]] && return 0
    done
    return 1
}

# True when PID is a process of this lab: its command line or working directory names our
# var/lab (redis and postgres children show no path), or an ancestor's command line does
# (containers under our containerd shims).
is_ours() {
    local pid=$1 cwd stat rest ppid hops=0
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=
    [[ $cwd == "$VAR" || $cwd == "$VAR"/* ]] && return 0
    while [[ $pid -gt 1 && $hops -lt 12 ]]; do
        _cmdline_is_ours "$pid" && return 0
        read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
        rest=${stat##*) }
        read -r _ ppid _ <<<"$rest"
        pid=$ppid
        hops=$((hops + 1))
    done
    return 1
}

# Prints the pid recorded in FILE when that process is alive and ours; fails otherwise.
live_pid() {
    local pid
    [[ -s $1 ]] || return 1
    read -r pid <"$1" || true
    pid_alive "$pid" || return 1
    is_ours "$pid" || return 1
    printf '%s\n' "$pid"
}

# One line describing a process, for messages: "pid 123 (cmd args...)".
describe_pid() {
    local args=()
    local text
    mapfile -d '' args 2>/dev/null <"/proc/$1/cmdline" || true
    text="${args[*]:-?}"
    text=${text%"${text##*[![:space:]]}"} # redis pads its title with spaces
    ((${#text} <= 160)) || text="${text:0:157}..."
    printf 'pid %s (%s)' "$1" "$text"
}

# Stops the process recorded in PIDFILE (if alive and ours): SIGNAL, then SIGKILL after
# TIMEOUT seconds. Removes the pid file. Prints what it did.
stop_recorded() {
    local name=$1 pidfile=$2 sig=$3 timeout=$4 pid i
    if ! pid=$(live_pid "$pidfile"); then
        rm -f "$pidfile"
        report "$name" down "(was not running)"
        return 0
    fi
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
    done
    if pid_alive "$pid"; then
        say "$name (pid $pid) did not stop within ${timeout}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
    report "$name" stopped "pid $pid"
}

# Pids of live processes whose command line names DIR (detection only, never used to kill).
pids_naming() {
    local dir=$1 p a args=()
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        mapfile -d '' args 2>/dev/null <"/proc/$p/cmdline" || continue
        for a in "${args[@]}"; do
            a=${a#unix://}
            a=${a#*=}
            if [[ $a == "$dir" || $a == "$dir"/* ]]; then
                printf '%s\n' "$p"
                break
            fi
        done
    done
    return 0
}

# Live processes of our lab: the lab's programs naming our var/lab (or working in it), and
# the containers under our shims. A person's `tail -f var/lab/docker.log` does not count.
lab_leftover_pids() {
    local path link p ppid stat
    local -A exe=() cwd=()
    # All executables and working directories in one pass (a readlink per process is slow).
    while IFS=$'\t' read -r path link; do
        p=${path#/proc/}
        if [[ ${p#*/} == exe ]]; then exe[${p%%/*}]=$link; else cwd[${p%%/*}]=$link; fi
    done < <(find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*' \( -name exe -o -name cwd \) \
        -printf '%p\t%l\n' 2>/dev/null)
    for p in "${!exe[@]}"; do
        pid_alive "$p" || continue
        case ${exe[$p]##*/} in
        dockerd | containerd | containerd-shim* | docker-proxy | docker-registry | postgres | redis-server | runc)
            if _cmdline_is_ours "$p" || [[ ${cwd[$p]:-} == "$VAR" || ${cwd[$p]:-} == "$VAR"/* ]]; then
                printf '%s\n' "$p"
                continue
            fi
            ;;
        esac
        read -r stat 2>/dev/null <"/proc/$p/stat" || continue
        read -r _ ppid _ <<<"${stat##*) }"
        if [[ ${exe[$ppid]:-} == */containerd-shim* ]] && _cmdline_is_ours "$ppid"; then
            printf '%s\n' "$p"
        fi
    done
    return 0
}

# ---------------------------------------------------------------- network

netns_exists() { [[ -e $NETNS_FILE ]] && ip netns list 2>/dev/null | grep -qw "^$NETNS"; }

# True when the namespace, the veth pair and both addresses are in place and up.
net_ok() {
    netns_exists || return 1
    ip -o -4 addr show dev "$HOST_IF" 2>/dev/null | grep -q " $HOST_IP/$NET_PREFIX " || return 1
    ip -o link show dev "$HOST_IF" 2>/dev/null | grep -q 'state UP' || return 1
    ip -n "$NETNS" -o -4 addr show dev "$NS_IF" 2>/dev/null | grep -q " $NS_IP/$NET_PREFIX " || return 1
}

# Deletes leftover VXLAN links of the lab's overlay driver in a network namespace, given as
# an nsenter --net target. In the host namespace ("") and in lab-w1 only links named vx-*
# (the overlay driver's names before it moves them); in a sandbox namespace pinned by a dead
# engine every VXLAN link (there they are renamed vxlan0, vxlan1...).
delete_vxlans() {
    local target=$1 links l run=() pattern='^vx-'
    [[ -n $target ]] && run=(nsenter "--net=$target" --)
    [[ -n $target && $target != "$NETNS_FILE" ]] && pattern='.'
    links=$("${run[@]}" ip -o link show type vxlan 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' |
        grep -- "$pattern" || true)
    for l in $links; do
        "${run[@]}" ip link del "$l" 2>/dev/null && say "removed leftover VXLAN link $l${target:+ in $target}"
    done
    return 0
}

# nsfs mount points (network namespaces pinned by a Docker engine) under DIR.
nsfs_mounts_under() {
    awk -v dir="$1/" '{
        for (i = 7; i <= NF; i++) if ($i == "-") break
        if ($(i + 1) == "nsfs" && index($5, dir) == 1) print $5
    }' /proc/self/mountinfo
}

# True when a live dockerd uses EXEC_ROOT as its --exec-root.
engine_alive_for() {
    local p
    for p in $(pids_naming "$1"); do
        [[ $(readlink "/proc/$p/exe" 2>/dev/null) == */dockerd ]] && return 0
    done
    return 1
}

# Removes what a dead engine left in its exec-root: the overlay/sandbox network namespaces
# pinned there (first deleting their VXLAN links, which otherwise block new ones with
# "error creating vxlan interface: file exists") and every other mount below it. Its
# containerd state is kept while shims of that engine still run, so the restarted engine
# can stop those containers itself.
clean_exec_root() {
    local exec_root=$1 m cpid=
    [[ -d $exec_root ]] || return 0
    # dockerd reuses the containerd named in this file while that pid exists (even a zombie).
    [[ -s $exec_root/containerd/containerd.pid ]] && read -r cpid <"$exec_root/containerd/containerd.pid"
    if [[ -n $cpid ]] && ! { pid_alive "$cpid" && is_ours "$cpid"; }; then
        rm -f "$exec_root/containerd/containerd.pid"
    fi
    for m in $(nsfs_mounts_under "$exec_root"); do
        delete_vxlans "$m"
        umount -l "$m" 2>/dev/null || true
    done
    # Any other mount left below the exec-root (deepest first).
    awk -v dir="$exec_root/" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    if [[ -z $(pids_naming "$exec_root") ]]; then
        rm -rf "$exec_root"
    else
        rm -rf "$exec_root/netns" "$exec_root/libnetwork"
    fi
}

# Pids of Docker engines in the host network namespace that are not ours (detection only).
foreign_host_engines() {
    local p exe hostns
    hostns=$(readlink /proc/self/ns/net)
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
        [[ ${exe##*/} == dockerd ]] || continue
        [[ $(readlink "/proc/$p/ns/net" 2>/dev/null) == "$hostns" ]] || continue
        is_ours "$p" || printf '%s\n' "$p"
    done
    return 0
}

# Docker networking left in the host namespace by a dead manager engine (ours, or another
# checkout's whose data-root allocated other subnets): the bridges docker0/docker_gwbridge
# and Docker's iptables chains and rules. Only called while no Docker engine runs in the
# host namespace (up's preflight checks that); the engine re-creates all of it on start.
clean_host_docker_net() {
    local table rule words chain chains=(DOCKER DOCKER-INGRESS DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER)
    for table in nat filter; do
        # Rules in the built-in chains that jump to Docker's chains or name its bridges.
        while read -r rule; do
            read -ra words <<<"$rule"
            iptables -w -t "$table" -D "${words[@]:1}" 2>/dev/null || true
        done < <(iptables-save -t "$table" 2>/dev/null |
            grep -E '^-A (PREROUTING|INPUT|OUTPUT|FORWARD|POSTROUTING) ' |
            grep -E -- '-j DOCKER|docker0|docker_gwbridge' || true)
        for chain in "${chains[@]}"; do iptables -w -t "$table" -F "$chain" 2>/dev/null || true; done
        for chain in "${chains[@]}"; do iptables -w -t "$table" -X "$chain" 2>/dev/null || true; done
    done
    ip link del docker_gwbridge 2>/dev/null || true
    ip link del docker0 2>/dev/null || true
}

# Overlay sandboxes pinned under the exec-root of a lab of ANOTHER checkout whose engine is
# gone hold VXLAN links whose sockets still live in the host namespace (or in a lab-w1 that
# we reuse). We only delete those VXLAN links, which belong to the lab's overlay driver; the
# mounts are that checkout's own, and its next up removes them.
clean_foreign_dead_vxlans() {
    local m exec_root
    while read -r m; do
        [[ -n $m ]] || continue
        exec_root=${m%/netns/*}
        [[ $exec_root == "$VAR"/* ]] && continue
        engine_alive_for "$exec_root" && continue
        delete_vxlans "$m"
    done < <(awk '{
        for (i = 7; i <= NF; i++) if ($i == "-") break
        if ($(i + 1) == "nsfs" && $5 ~ /\/var\/lab\/docker[^\/]*-exec\/netns\//) print $5
    }' /proc/self/mountinfo)
}
