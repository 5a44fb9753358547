#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the sharding tests: `.ci/slurm.sh start DIR`
# writes DIR/slurm.conf (this host, its CPUs, state and logs in DIR), starts munged when it is
# not running, then slurmctld and slurmd, and waits until the node is idle; `.ci/slurm.sh stop DIR`
# stops what start started. Needs Debian's slurm-wlm and munge (.ci/run installs them) and root.
set -euo pipefail
# Close every descriptor but 0-2 that the caller let this script inherit: the daemons started here
# would hold them open for good, and a caller reading a pipe to its end would wait for ever.
for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
done
action="${1:?start or stop}"; dir="${2:?the folder of the cluster}"
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
conf="$dir/slurm.conf"
case "$action" in
start)
    mkdir -p "$dir/state" "$dir/spool" "$dir/log"
    host="$(hostname)"
    cat > "$conf" <<CONF
ClusterName=keel
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${KEEL_SLURM_PORT:-6917}
SlurmdPort=$(( ${KEEL_SLURM_PORT:-6917} + 1 ))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=keel Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    if ! pgrep -x munged >/dev/null; then
        mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
        [ -f /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
        munged --force </dev/null >/dev/null 2>&1
        touch "$dir/started-munged"
    fi
    # The daemons keep no descriptor of the caller's: one who reads this script's output to its end is not held up.
    slurmctld -f "$conf" </dev/null >/dev/null 2>&1
    slurmd -f "$conf" </dev/null >/dev/null 2>&1
    for _ in $(seq 1 100); do
        SLURM_CONF="$conf" sinfo -h -o %T 2>/dev/null | grep -q idle && { echo "$conf"; exit 0; }
        sleep 0.2
    done
    echo "the cluster did not come up: see $dir/log" >&2
    exit 1
    ;;
stop)
    pids=()
    for daemon in slurmd slurmctld; do
        [ -f "$dir/$daemon.pid" ] && pids+=("$(cat "$dir/$daemon.pid")")
    done
    if [ -f "$dir/started-munged" ]; then pids+=($(pgrep -x munged || true)); rm -f "$dir/started-munged"; fi
    [ ${#pids[@]} -gt 0 ] || exit 0
    kill "${pids[@]}" 2>/dev/null || true
    # Gone before this returns, so the next start finds its ports free; a daemon deaf to TERM is killed.
    for _ in $(seq 1 25); do
        kill -0 "${pids[@]}" 2>/dev/null || exit 0
        sleep 0.2
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
    ;;
esac
