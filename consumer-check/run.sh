#!/usr/bin/env bash
# The consumer check: a separate Maven project that depends only on the CPU library artifact org.oialr:oialr compiles
# against a class path without bytedeco, picocli, JFreeChart or Gson, and runs (Consumer.java: an MLP trained with
# OIALR on generated data).
#
#   bash consumer-check/run.sh          after a build of the reactor (mvn -B verify, or at least its dependencies
#                                       downloaded into ~/.m2); .ci/run calls it after the tests
#
# Steps, offline (a Maven step that misses a plugin in ~/.m2, e.g. maven-install-plugin on a machine that never ran
# `mvn install`, is retried online: the download goes into the private repository only):
#   1. a private local repository (consumer-check/target/m2, or CONSUMER_REPO) seeded from ~/.m2/repository by hard
#      links (a copy where links cannot be made), without any org.oialr artifact: ~/.m2 is never written to;
#   2. mvn install of the library artifacts (parent, engine, autodiff, oialr; tests, sources and javadoc skipped) into it;
#   3. the consumer built against it alone; `mvn dependency:list` and `dependency:build-classpath` must name no
#      org.bytedeco, info.picocli, org.jfree or com.google.gson artifact, and must name the three library artifacts;
#      each library jar must carry its Automatic-Module-Name;
#   4. the consumer runs on that class path (exit 1 if it did not learn, did not go low-rank, or the engine does not
#      say which artifact brings the GPU).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
base="${MAVEN_REPO:-$HOME/.m2/repository}"
repo="${CONSUMER_REPO:-$here/target/m2}"
mvn_flags=(-B -q "-Dmaven.repo.local=$repo")
version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$root/pom.xml" | head -1)
[ -n "$version" ] || { echo "consumer-check: cannot read the project version from $root/pom.xml" >&2; exit 1; }
t0=$(date +%s)

# mvn offline, then online if that failed (a plugin missing from ~/.m2); output only when both fail
mvn_private() {
  local log; log=$(mktemp)
  if mvn "${mvn_flags[@]}" -o "$@" >"$log" 2>&1; then cat "$log"; rm -f "$log"; return 0; fi
  echo "(offline Maven failed; retrying online into the private repository: $(grep -m1 -o 'Cannot access .*\|Could not resolve .*\|Failed to execute goal [^ ]*' "$log" || true))"
  rm -f "$log"
  mvn "${mvn_flags[@]}" "$@"
}

echo "== consumer check: org.oialr:oialr:$version, private repository $repo"
rm -rf "$repo"
mkdir -p "$repo"
if ! cp -al "$base/." "$repo/" 2>/dev/null; then
  rm -rf "$repo" && mkdir -p "$repo" && cp -r "$base/." "$repo/"
fi
rm -rf "$repo/org/oialr"   # only the artifacts installed below, never a stale copy
# files Maven may rewrite are copied, so that no write reaches ~/.m2 through a hard link
find "$repo" -type f \( -name '*.xml' -o -name '*.properties' -o -name '*.repositories' -o -name '*.lastUpdated' \) \
  -exec sh -c 'for f; do cp "$f" "$f.copy" && mv -f "$f.copy" "$f"; done' sh {} +

echo "== install the library artifacts (parent, engine, autodiff, oialr) into it"
(cd "$root" && mvn_private -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true install -pl oialr -am)

for m in oialr-engine:org.oialr.engine oialr-autodiff:org.oialr.autodiff oialr:org.oialr; do
  a=${m%%:*} name=${m#*:}
  jar="$repo/org/oialr/$a/$version/$a-$version.jar"
  # the module name the JDK derives: Automatic-Module-Name where the manifest has one, else one made from the file name
  got=$(jar --describe-module --file "$jar" | sed -n 's/^\([^@ ]*\)@.* automatic$/\1/p')
  [ "$got" = "$name" ] || { echo "consumer-check: $a's jar is the automatic module '$got', expected $name (Automatic-Module-Name)" >&2; exit 1; }
done

echo "== build the consumer against org.oialr:oialr alone"
cd "$here"
rm -rf target/classes target/run target/dependencies.txt target/classpath.txt
mvn_private "-Doialr.version=$version" package dependency:list dependency:build-classpath \
  -DoutputFile=target/dependencies.txt -Dmdep.outputFile=target/classpath.txt -DincludeScope=test
echo "dependencies:"
grep ':' target/dependencies.txt | sed 's/^ */  /'
if grep -Ei 'org\.bytedeco|info\.picocli|picocli|org\.jfree|jfreechart|com\.google\.code\.gson|gson' target/dependencies.txt target/classpath.txt; then
  echo "consumer-check: FAILED: the library pulls in a command-line, charting, JSON or native artifact (above)" >&2
  exit 1
fi
for a in oialr oialr-autodiff oialr-engine; do
  grep -q "org.oialr:$a:jar:$version" target/dependencies.txt || { echo "consumer-check: FAILED: org.oialr:$a not on the class path" >&2; exit 1; }
done

echo "== run it"
java --add-modules jdk.incubator.vector -cp "target/classes:$(cat target/classpath.txt)" org.oialr.consumer.Consumer target/run
echo "consumer check passed in $(( $(date +%s) - t0 )) s"
