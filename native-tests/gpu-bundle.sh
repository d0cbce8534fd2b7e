#!/usr/bin/env bash
# Builds native-tests/target/gpu-bundle: a small Java runtime (jlink), the native tests' classes, every jar
# they and the JMH benchmarks need, run.sh and bench.sh, so that the native tests and CudaBench run on a GPU
# machine that has no JDK, no Maven and no network. Copy the folder there and run ./run.sh or ./bench.sh
# (see native-tests/README.md). The bundle must stay under 60 MB (the device tool carries at most 64 MiB).
#
#   native-tests/gpu-bundle.sh          build (Maven offline; drop -o in MVN_FLAGS to download)
#   MVN_FLAGS=-q native-tests/gpu-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# a stale dependency folder (an earlier build's jars) would end up in the bundle
rm -rf native-tests/target/dependency benchmarks/target/dependency
mvn ${MVN_FLAGS:--o -q} -pl native-tests,benchmarks -am -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
    package dependency:copy-dependencies -DincludeScope=test
b=native-tests/target/gpu-bundle
rm -rf "$b"
mkdir -p "$b/lib" "$b/bench"
cp native-tests/target/dependency/*.jar "$b/lib/"
cp -r native-tests/target/test-classes "$b/test-classes"
# JMH and what it needs beside lib/, and the benchmarks' own classes (not the shaded benchmarks.jar, which would
# carry every jar of lib/ a second time)
for j in benchmarks/target/dependency/*.jar; do
  [ -e "$b/lib/$(basename "$j")" ] || cp "$j" "$b/bench/"
done
cp benchmarks/target/oialr-benchmarks-*.jar "$b/bench/"

# bytedeco's natives jar holds JNI libraries for all of CUDA (NPP, cuFFT, cuDNN, NVML, ...: 33 MB unpacked);
# keep the four the backend loads: cudart, cuBLAS, cuSOLVER and cuSPARSE (cuSOLVER's binding loads cuSPARSE's).
# The file keeps its name: JavaCPP names its cache directory after it.
natives=$(ls "$b"/lib/cuda-*-linux-x86_64.jar)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && unzip -q "$OLDPWD/$natives" 'META-INF/MANIFEST.MF' 'META-INF/maven/*' \
   'org/bytedeco/cuda/linux-x86_64/libjnicudart.so' 'org/bytedeco/cuda/linux-x86_64/libjnicublas.so' \
   'org/bytedeco/cuda/linux-x86_64/libjnicusolver.so' 'org/bytedeco/cuda/linux-x86_64/libjnicusparse.so')
rm "$natives"
(cd "$work" && jar --create --file "$OLDPWD/$natives" --manifest META-INF/MANIFEST.MF META-INF/maven org)

# the modules the engine, EJML, SLF4J, JavaCPP (sun.misc.Unsafe: jdk.unsupported), JMH (java.management) and the
# JUnit launcher use
jlink --add-modules java.base,java.logging,java.xml,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector \
      --strip-debug --no-header-files --no-man-pages --compress=2 --output "$b/jre"

cat > "$b/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the native tests on this machine with the bundled Java runtime. Prints the GPU and driver, then (from
# NativeTestsMain) the probe's outcome and the CUDA libraries found, once. OIALR_CUDA_REQUIRED=false lets a
# machine without a usable GPU skip instead of fail.
cd "$(dirname "$0")"
echo "== GPU and driver (the bytedeco cuda 13.1 presets need a driver for CUDA 13, R580+, and the CUDA 13 libraries)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' || true
else
  echo "nvidia-smi not found"
fi
echo "== native tests"
exec ./jre/bin/java --add-modules jdk.incubator.vector -Doialr.cuda.required="${OIALR_CUDA_REQUIRED:-true}" \
     -Dorg.bytedeco.javacpp.cachedir="$PWD/javacpp-cache" \
     -cp "test-classes:lib/*" org.oialr.engine.cuda.NativeTestsMain "$@"
RUN

cat > "$b/bench.sh" <<'BENCH'
#!/usr/bin/env bash
# Runs the CudaBench JMH benchmark (CUDA backend against EJML) with the bundled Java runtime and writes the JMH
# JSON to ${OUT:-.}/${BENCH_JSON:-cuda-bench.json}. Arguments replace the defaults, e.g.
#   BENCH_JSON=gemm.json ./bench.sh CudaBench.gemm -f 1 -wi 3 -i 5 -p impl=cuda-host,cuda-device
cd "$(dirname "$0")"
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(CudaBench -f 1 -wi 3 -i 5)
exec ./jre/bin/java --add-modules jdk.incubator.vector -Dorg.bytedeco.javacpp.cachedir="$PWD/javacpp-cache" \
     -cp "bench/*:lib/*" org.openjdk.jmh.Main "${args[@]}" -rf json -rff "${OUT:-$PWD}/${BENCH_JSON:-cuda-bench.json}"
BENCH
chmod +x "$b/run.sh" "$b/bench.sh"
du -sh "$b/jre" "$b/lib" "$b/bench"
du -sh "$b"
total=$(du -sm "$b" | cut -f1)
if [ "$total" -ge 60 ]; then
  echo "gpu-bundle.sh: the bundle is ${total} MB, over the 60 MB limit (the device tool carries at most 64 MiB)" >&2
  exit 1
fi
