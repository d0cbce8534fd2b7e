#!/usr/bin/env bash
# Launcher for the OIALR command line (train, compare, info). Builds the project on first use (the cli module's
# fat jar, cli/target/oialr-cli.jar). OIALR_JAVA_OPTS adds JVM options (e.g. -Xmx8g).
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

# Rebuild when any source or pom is newer than the jar.
if [ ! -f "$jar" ] || [ -n "$(find "$root" -path "$root/*/target" -prune -o \( -name '*.java' -o -name pom.xml \) -newer "$jar" -print -quit)" ]; then
  echo "oialr: building (mvn package, tests, sources and javadoc skipped) ..." >&2
  (cd "$root" && mvn -q -B -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package -pl cli -am) >&2
fi
exec java --add-modules jdk.incubator.vector -Djava.awt.headless=true ${OIALR_JAVA_OPTS:-} -jar "$jar" "$@"
