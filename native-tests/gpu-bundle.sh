#!/usr/bin/env bash
# Builds native-tests/target/gpu-bundle: a small Java runtime (jlink), the native tests' classes, every jar
# they need and run.sh, so that the native tests run on a GPU machine that has no JDK, no Maven and no
# network. Copy the folder there and run ./run.sh (see native-tests/README.md).
#
#   native-tests/gpu-bundle.sh          build (Maven offline; drop -o in MVN_FLAGS to download)
#   MVN_FLAGS=-q native-tests/gpu-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mvn ${MVN_FLAGS:--o -q} -pl native-tests -am -DskipTests package dependency:copy-dependencies -DincludeScope=test
b=native-tests/target/gpu-bundle
rm -rf "$b"
mkdir -p "$b/lib"
cp native-tests/target/dependency/*.jar "$b/lib/"
cp -r native-tests/target/test-classes "$b/test-classes"
# the modules the engine, EJML, SLF4J and the JUnit launcher use; about 30 MB
jlink --add-modules java.base,java.logging,java.xml,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector \
      --strip-debug --no-header-files --no-man-pages --compress=2 --output "$b/jre"
cat > "$b/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the native tests on this machine with the bundled Java runtime. Prints what CUDA libraries the machine
# has first. OIALR_CUDA_REQUIRED=false lets a machine without a usable GPU skip instead of fail.
cd "$(dirname "$0")"
echo "== CUDA libraries on this machine (JCuda 12.6 needs libcublas.so.12 and libcusolver.so.11: CUDA 12.x)"
find / -name 'libcublas.so.*' -o -name 'libcusolver.so.*' 2>/dev/null | sort
echo "== java on PATH: $(command -v java || echo none) (the tests use the bundled ./jre/bin/java)"
echo "== nvidia-smi"
if command -v nvidia-smi >/dev/null; then nvidia-smi 2>&1 | head -15; else echo "nvidia-smi not found"; fi
echo "== native tests"
exec ./jre/bin/java --add-modules jdk.incubator.vector -Doialr.cuda.required="${OIALR_CUDA_REQUIRED:-true}" \
     -cp "test-classes:lib/*" org.oialr.engine.cuda.NativeTestsMain "$@"
RUN
chmod +x "$b/run.sh"
du -sh "$b" "$b/jre" "$b/lib"
