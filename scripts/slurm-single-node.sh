#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for the tests and for trying the cluster
# workflow without a cluster: Debian's own slurmctld, slurmd, slurm-client and munge, no systemd.
#
#   scripts/slurm-single-node.sh start DIR   # installs the packages if missing, starts munged,
#                                            # slurmctld and slurmd with DIR/slurm.conf, waits
#                                            # until the node is idle, prints SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-single-node.sh stop DIR    # stops the daemons it started, leaves DIR's logs
#
# Then: export SLURM_CONF=DIR/slurm.conf; sbatch / squeue / harness compare --launcher slurm.
# Must run as root (the daemons run as root here; a real cluster runs them as its slurm user).
set -euo pipefail

action=${1:-}
dir=${2:-}
if [[ -z "$action" || -z "$dir" ]]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"

stop() {
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
        if [[ -s "$pidfile" ]]; then
            pid=$(cat "$pidfile")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$pidfile"
        fi
    done
}

if [[ "$action" == stop ]]; then
    stop
    exit 0
fi
[[ "$action" == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "$0: run as root (the daemons run as root on this single node)" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    echo "installing slurmctld, slurmd, slurm-client and munge from Debian" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

stop  # a previous run's daemons in the same DIR
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"

# munge: its own key in DIR (created if absent) and its own socket, so nothing system-wide is
# touched. munged refuses keys and directories others can write to.
if [[ ! -s "$dir/munge/munge.key" ]]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1 count=1024 status=none
fi
chown -R munge:munge "$dir/munge"
chmod 700 "$dir/munge"
chmod 400 "$dir/munge/munge.key"
socket="$dir/munge/munge.socket"
# munged runs as the munge user; DIR's parents must let it reach its socket.
sudo_munge() { runuser -u munge -- "$@"; }
sudo_munge munged --key-file="$dir/munge/munge.key" --socket="$socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" --force
for _ in $(seq 50); do [[ -S "$socket" ]] && break; sleep 0.1; done
cp "$dir/munge/munged.pid" "$dir/munged.pid"

# The node as this machine is: slurmd -C prints its CPUs, sockets, cores and memory.
node=$(slurmd -C | head -1)
name=$(sed -E 's/^NodeName=([^ ]+).*/\1/' <<<"$node")
# Distinct ports, so a system Slurm (if any) is left alone.
cat >"$conf" <<EOF
ClusterName=harness-test
SlurmctldHost=$name(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
# No scheduler delays: a job starts as soon as it can.
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0,sched_interval=1
MessageTimeout=10
SlurmdTimeout=30
# Finished jobs stay known to scontrol for 10 minutes (there is no accounting database here).
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$name Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$conf"

slurmctld -f "$conf"
slurmd -f "$conf"
for _ in $(seq 300); do
    state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
    if [[ "$state" == idle ]]; then
        echo "SLURM_CONF=$conf"
        exit 0
    fi
    sleep 0.1
done
echo "$0: the node did not become idle in 30 s (state: ${state:-unknown}); logs in $dir/slurmctld.log and $dir/slurmd.log" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
