#!/usr/bin/env bash
# kill -9 trials of the command line (issue 13): N times, train a small run with a checkpoint every epoch and kill it
# with SIGKILL, either at a random moment or the moment the write of a random epoch's checkpoint has begun (its
# temporary file .checkpoint.safetensors.<random>.tmp exists); then resume it (or, without a checkpoint yet, start it
# again) and check that
#   - the checkpoint was never corrupt (the resume loads it: CRC, header, sizes),
#   - the next start removed every stale temporary file,
#   - the finished run's metrics.csv equals the uninterrupted run's, bit for bit (every column but train_seconds).
#
# Usage: cli/src/test/sh/kill-trials.sh [N=50] [JAR=cli/target/oialr-cli.jar]
# Build the jar first: mvn -B -o -DskipTests package -pl cli -am. Keeps its files in $KILL_TRIALS_DIR (default: a new
# directory under /tmp) and prints one line per trial and a summary; exits 1 if any trial failed.
set -uo pipefail
N=${1:-50}
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
JAR=${2:-$ROOT/cli/target/oialr-cli.jar}
[ -f "$JAR" ] || { echo "kill-trials: no jar at $JAR; build it: mvn -B -DskipTests package -pl cli -am" >&2; exit 2; }
ARGS=(train --epochs 3 --train-subset 600 --test-subset 200 --batch-size 100 --delay 8 --threads 2 --stability-every 0 --quiet)
WORK=${KILL_TRIALS_DIR:-$(mktemp -d /tmp/kill-trials.XXXXXX)}
mkdir -p "$WORK"
cp "$JAR" "$WORK/oialr-cli.jar"   # a rebuild of the jar during the trials must not change the program under test
JAVA=(java --add-modules jdk.incubator.vector -Djava.awt.headless=true -jar "$WORK/oialr-cli.jar")
TMP_RE='^\..+\.[0-9a-z]{1,13}\.tmp$'

numbers() { cut -d, -f1-11,13- "$1/metrics.csv"; }   # metrics.csv without train_seconds (column 12)
stale() { ls -A "$1" 2>/dev/null | grep -cE "$TMP_RE"; }
now() { date +%s.%N; }

t0=$(now)
"${JAVA[@]}" "${ARGS[@]}" --out "$WORK/reference" > "$WORK/reference.log" 2>&1 || { echo "kill-trials: the uninterrupted run failed (see $WORK/reference.log)" >&2; exit 1; }
wall=$(echo "$(now) - $t0" | bc)
ref=$(numbers "$WORK/reference")
echo "kill-trials: $N trials in $WORK; the uninterrupted run took ${wall}s"

trials=0; during_write=0; with_ckpt=0; corrupt=0; failed=0; stale_before=0; stale_after=0; exact=0; inexact=0
for i in $(seq 1 "$N"); do
  d="$WORK/trial-$i"
  "${JAVA[@]}" "${ARGS[@]}" --out "$d" > "$d.log" 2>&1 &
  pid=$!
  if (( i % 2 == 0 )); then
    k=$(( RANDOM % 3 + 1 ))
    declare -A seen=()
    start=$SECONDS
    while kill -0 "$pid" 2>/dev/null && (( ${#seen[@]} < k )) && (( SECONDS - start < 120 )); do
      for f in "$d"/.checkpoint.safetensors.*.tmp; do [ -e "$f" ] && seen["$f"]=1; done
      (( ${#seen[@]} < k )) && sleep 0.001
    done
    how="at the start of checkpoint write $k (seen ${#seen[@]})"
    unset seen
  else
    delay=$(echo "scale=3; 0.5 + $RANDOM / 32767 * 0.95 * $wall" | bc)
    sleep "$delay"
    how="after ${delay}s"
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  trials=$((trials + 1))
  s=$(stale "$d"); stale_before=$((stale_before + s)); (( s > 0 )) && during_write=$((during_write + 1))
  if [ -f "$d/checkpoint.safetensors" ]; then
    with_ckpt=$((with_ckpt + 1))
    "${JAVA[@]}" train --resume "$d" > "$d.next.log" 2>&1; rc=$?
    next="resumed"
  else
    "${JAVA[@]}" "${ARGS[@]}" --out "$d" --force > "$d.next.log" 2>&1; rc=$?
    next="no checkpoint yet: started again"
  fi
  a=$(stale "$d"); stale_after=$((stale_after + a))
  result="ok"
  if (( rc != 0 )); then
    failed=$((failed + 1)); result="FAILED (exit $rc: $(grep -m1 '^oialr:' "$d.next.log"))"
    grep -qiE 'checkpoint.*(crc|corrupt|truncat|damaged|not an oialr)' "$d.next.log" && corrupt=$((corrupt + 1))
  elif [ "$(numbers "$d")" == "$ref" ]; then
    exact=$((exact + 1))
  else
    inexact=$((inexact + 1)); result="DIFFERS from the uninterrupted run"
  fi
  (( a > 0 )) && result="$result; $a stale temporary file(s) left"
  echo "trial $i: killed $how, $s temporary file(s) left by the kill, $next: $result"
done
echo
echo "kill-trials summary: $trials trials ($during_write killed during a checkpoint write, by the temporary file left), $with_ckpt with a checkpoint to resume"
echo "  corrupt checkpoints: $corrupt; failed restarts: $failed; stale temporary files: $stale_before left by the kills, $stale_after after the next start"
echo "  finished runs equal to the uninterrupted run bit for bit: $exact of $trials (differing: $inexact)"
(( failed == 0 && inexact == 0 && stale_after == 0 && corrupt == 0 ))
