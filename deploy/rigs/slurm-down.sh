#!/usr/bin/env bash
# slurm-down.sh — stop exactly the daemons slurm-up.sh recorded (by PID), newest first.
# The rig of mmoda's Slurm executor tests (copy of ../shared/rigs/slurm-down.sh).
# Never kills by name. A PID is only signalled if /proc/PID/comm still matches.
set -uo pipefail
STATE="${SLURM_STATE_DIR:-/run/slurm-rig}"
running() {  # running PID NAME: alive, right name, not a zombie
  [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] \
    && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}
for name in slurmrestd slurmd slurmctld munged; do
  pf="$STATE/$name.pid"; [ -s "$pf" ] || continue
  pid=$(tr -dc 0-9 < "$pf")
  if [ -n "$pid" ] && running "$pid" "$name"; then
    kill -TERM "$pid"
    for _ in $(seq 100); do running "$pid" "$name" || break; sleep 0.1; done
    running "$pid" "$name" && kill -KILL "$pid"
    echo "stopped $name ($pid)"
  fi
  rm -f "$pf"
done
