#!/usr/bin/env bash
# Launcher for the OIALR command line (train, compare, tune, info). Builds the project on first use (the cli module's
# fat jar, cli/target/oialr-cli.jar; with --spark or --workers, the spark module). OIALR_JAVA_OPTS adds JVM options (e.g. -Xmx8g).
#   ./oialr.sh compare --model mlp       ./oialr.sh train --help       ./oialr.sh info       ./oialr.sh --version
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
jar="$root/cli/target/oialr-cli.jar"

need=()
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "oialr: installing ${need[*]} ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
  else
    echo "oialr: missing ${need[*]}; install with: sudo apt-get install -y ${need[*]}" >&2
    # without the data set, runs with --data DIR still work
    [[ ${#need[@]} -eq 1 && ${need[0]} == dataset-fashion-mnist ]] || exit 1
  fi
fi

# --spark MASTER / --workers N: the command line with the Spark module and Spark on the class path (spark/target/
# classpath.txt, and Spark's JVM options in spark/target/jvm-options.txt); otherwise the command line's own fat jar.
spark=0
for a in "$@"; do case "$a" in --spark|--spark=*|--workers|--workers=*) spark=1 ;; esac; done
if [ $spark = 1 ]; then module=spark; stamp="$root/spark/target/classpath.txt"; else module=cli; stamp="$jar"; fi

# Rebuild when any source or pom is newer than what runs.
if [ ! -f "$stamp" ] || [ -n "$(find "$root" -path "$root/*/target" -prune -o \( -name '*.java' -o -name pom.xml \) -newer "$stamp" -print -quit)" ]; then
  echo "oialr: building (mvn package -pl $module, tests, sources and javadoc skipped) ..." >&2
  (cd "$root" && mvn -q -B -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package -pl $module -am) >&2
  touch "$stamp" # classpath.txt is copied only when missing: without this, every later run would build again
fi
if [ $spark = 1 ]; then
  exec java @"$root/spark/target/jvm-options.txt" -Djava.awt.headless=true ${OIALR_JAVA_OPTS:-} -cp "$(cat "$stamp")" org.oialr.cli.Main "$@"
fi
# Run from a copy of the jar named by its build time, so that a rebuild (by this launcher or by mvn) while a long run
# (a tune, a ViT compare) goes on does not rewrite the classes under it; copies of earlier builds go after a week.
runs="$root/cli/target/run"
copy="$runs/oialr-cli-$(stat -c %Y "$jar").jar"
if [ ! -f "$copy" ]; then
  mkdir -p "$runs"
  cp "$jar" "$copy.tmp.$$" && mv -f "$copy.tmp.$$" "$copy"
  find "$runs" -name 'oialr-cli-*.jar' ! -path "$copy" -mtime +7 -delete 2>/dev/null || true
fi
exec java --add-modules jdk.incubator.vector -Djava.awt.headless=true ${OIALR_JAVA_OPTS:-} -jar "$copy" "$@"
