#!/usr/bin/env bash
# Builds target/gpu-bundle: everything a GPU host with the NVIDIA driver and CUDA 13 libraries but no Java needs
# to run KernelNet, its GPU tests and its benchmarks.
#
#   target/gpu-bundle/
#     jre/                 jlink-trimmed Java 17 runtime (java.base, java.logging, java.xml, jdk.unsupported,
#                          jdk.incubator.vector)
#     kernelnet.jar        the project, with kernels/kernelnet.fatbin when nvcc was there to build it
#     kernelnet-bench.jar  the benchmarks (kernelnet bench ..., the bench mains), on every launcher's class path
#     lib/*.jar            runtime dependencies (jcuda-natives cut down to the driver library)
#     test/classes/        compiled tests; test/junit-platform-console-standalone-*.jar
#     bin/kernelnet        io.kernelnet.cli.Main with all arguments
#     bin/gpu-tests        the JUnit console launcher on the tests tagged "gpu"
#     bin/gemm-bench       io.kernelnet.bench.GemmBench
#     bin/conv-bench       io.kernelnet.bench.ConvBench
#     bin/epilogue-bench   io.kernelnet.bench.EpilogueBench
#     bin/device-run OUTDIR  all of the above that a device session should run, logs into OUTDIR
#
# The JDK is $JAVA_HOME, else the one of the javac on PATH; it must be 17. Rebuilds the jar (mvn -o -q package
# -DskipTests, plus $MVN_ARGS) when it is missing or older than a source. Usage: native/make-gpu-bundle.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
OUT="$ROOT/target/gpu-bundle"
JUNIT_VERSION=1.11.3
JUNIT_JAR="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$JUNIT_VERSION/junit-platform-console-standalone-$JUNIT_VERSION.jar"
SIZE_LIMIT_MB=60

die() {
    echo "make-gpu-bundle: $*" >&2
    exit 1
}

# ---- the JDK 17 that builds and jlinks ----------------------------------------------------------------------
JDK="${JAVA_HOME:-}"
if [ -z "$JDK" ]; then
    javac_path="$(command -v javac)" || die "no javac on PATH and no JAVA_HOME"
    JDK="$(dirname "$(dirname "$(readlink -f "$javac_path")")")"
fi
[ -x "$JDK/bin/jlink" ] || die "$JDK has no bin/jlink (set JAVA_HOME to a JDK 17)"
spec="$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')"
[ "$spec" = 17 ] || die "$JDK is Java $spec; the bundle's runtime must be Java 17"
echo "make-gpu-bundle: JDK $JDK (Java $spec)"

# ---- the project jar, rebuilt when stale --------------------------------------------------------------------
JAR="$ROOT/target/kernelnet.jar"
BENCH_JAR="$ROOT/target/kernelnet-bench.jar"
stale=""
if [ ! -f "$JAR" ] || [ ! -f "$BENCH_JAR" ] || [ ! -d "$ROOT/target/test-classes" ] || [ ! -d "$ROOT/target/lib" ]; then
    stale="missing"
else
    stale="$(find "$ROOT/src" "$ROOT/tests" "$ROOT/bench" "$ROOT/kernels" "$ROOT/native/build-kernels.sh" \
        "$ROOT/pom.xml" -type f -newer "$JAR" 2>/dev/null | head -1 || true)"
fi
if [ -n "$stale" ]; then
    echo "make-gpu-bundle: building (target/kernelnet.jar ${stale/#$ROOT\//is older than })"
    # shellcheck disable=SC2086
    (cd "$ROOT" && JAVA_HOME="$JDK" mvn -o -q package -DskipTests ${MVN_ARGS:-})
fi
if "$JDK/bin/jar" tf "$JAR" | grep -qx "kernels/kernelnet.fatbin"; then
    echo "make-gpu-bundle: kernels built into the jar"
else
    echo "make-gpu-bundle: WARNING: no kernels/kernelnet.fatbin in the jar (was nvcc found?); on the GPU host the" \
        "CUDA backend will report 'kernels not built'" >&2
fi

# ---- the JUnit console launcher -----------------------------------------------------------------------------
if [ ! -f "$JUNIT_JAR" ]; then
    (cd "$ROOT" && mvn -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$JUNIT_VERSION")
fi
[ -f "$JUNIT_JAR" ] || die "could not fetch $JUNIT_JAR"

# ---- assemble -----------------------------------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/test" "$OUT/bin"

# java.xml: JUnit's XML reports; jdk.unsupported: JavaCPP's indexers (sun.misc.Unsafe); jdk.incubator.vector: the
# cpu backend's GEMM kernel
"$JDK/bin/jlink" --add-modules java.base,java.logging,java.xml,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$OUT/jre"

cp "$JAR" "$OUT/kernelnet.jar"
cp "$BENCH_JAR" "$OUT/kernelnet-bench.jar"
for dep in "$ROOT"/target/lib/*.jar; do
    name="$(basename "$dep")"
    case "$name" in
        jcuda-natives-*)
            # only the driver API is used: drop the runtime, NVRTC and PTX-compiler bindings (about 9 MB)
            work="$(mktemp -d)"
            (cd "$work" && "$JDK/bin/jar" xf "$dep" && find lib -type f ! -name 'libJCudaDriver-*' -delete \
                && "$JDK/bin/jar" --create --file "$OUT/lib/$name" --manifest META-INF/MANIFEST.MF lib)
            rm -rf "$work"
            ;;
        *) cp "$dep" "$OUT/lib/" ;;
    esac
done
cp -r "$ROOT/target/test-classes" "$OUT/test/classes"
cp "$JUNIT_JAR" "$OUT/test/"
cp "$ROOT"/native/bundle/bin/* "$OUT/bin/"
chmod +x "$OUT"/bin/kernelnet "$OUT"/bin/gpu-tests "$OUT"/bin/gemm-bench "$OUT"/bin/conv-bench "$OUT"/bin/epilogue-bench \
    "$OUT"/bin/device-run

size_mb="$(du -sm "$OUT" | cut -f1)"
echo "make-gpu-bundle: $OUT is ${size_mb} MB (jre $(du -sm "$OUT/jre" | cut -f1) MB, lib $(du -sm "$OUT/lib" | cut -f1) MB)"
[ "$size_mb" -le "$SIZE_LIMIT_MB" ] || die "bundle exceeds ${SIZE_LIMIT_MB} MB"
