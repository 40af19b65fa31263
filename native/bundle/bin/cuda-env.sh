# shellcheck shell=bash
# Sourced by the bundle's launchers. Finds the bundled JRE and class path, and puts the folders holding the
# NVIDIA libraries on LD_LIBRARY_PATH before the JVM starts (JCuda needs libcuda.so.1; the bytedeco presets need
# libcudart.so.13, libcublas.so.13, libcublasLt.so.13 and libcudnn*.so.9). Searched, in order: $CUDA_HOME/lib64,
# /usr/local/cuda/lib64, the folders of those libraries in ldconfig's cache, and the nvidia/*/lib folders of a
# Python environment with NVIDIA's CUDA wheels ($KERNELNET_PYTHON, default python3).
# A leading --verbose (or KERNELNET_VERBOSE=1) prints where each library was found, in one line, on stderr.
# Sets BUNDLE, JAVA, JAVA_MODULES, CP (explicit jar list) and KN_ARGS (the arguments without a leading --verbose).

BUNDLE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA="$BUNDLE/jre/bin/java"
# the cpu backend's GEMM kernel (without it, a plain-Java kernel several times slower); the JVM warns once that the
# module is incubating
JAVA_MODULES=(--add-modules jdk.incubator.vector)
CP="$BUNDLE/kernelnet.jar:$BUNDLE/kernelnet-bench.jar"
for jar in "$BUNDLE"/lib/*.jar; do
    CP="$CP:$jar"
done

KN_ARGS=("$@")
KN_VERBOSE="${KERNELNET_VERBOSE:-0}"
if [ "${1:-}" = "--verbose" ]; then
    KN_VERBOSE=1
    KN_ARGS=("${@:2}")
fi

KN_WANTED="libcuda.so.1 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9 libcudnn_ops.so.9 libcudnn_cnn.so.9 libcudnn_adv.so.9 libcudnn_graph.so.9"
KN_DIRS=""

kn_add_dir() {
    [ -d "$1" ] || return 0
    case ":$KN_DIRS:" in
        *":$1:"*) ;;
        *) KN_DIRS="${KN_DIRS:+$KN_DIRS:}$1" ;;
    esac
}

[ -n "${CUDA_HOME:-}" ] && kn_add_dir "$CUDA_HOME/lib64"
kn_add_dir /usr/local/cuda/lib64

KN_LDCONFIG="$(command -v ldconfig || true)"
[ -z "$KN_LDCONFIG" ] && [ -x /sbin/ldconfig ] && KN_LDCONFIG=/sbin/ldconfig
if [ -n "$KN_LDCONFIG" ]; then
    while read -r lib; do
        kn_add_dir "$(dirname "$lib")"
    done < <("$KN_LDCONFIG" -p 2>/dev/null | awk -v wanted=" $KN_WANTED " \
        '{ name = $1; if (index(wanted, " " name " ") > 0) print $NF }')
fi

KN_PYTHON="${KERNELNET_PYTHON:-python3}"
if command -v "$KN_PYTHON" >/dev/null 2>&1; then
    while read -r dir; do
        kn_add_dir "$dir"
    done < <("$KN_PYTHON" - 2>/dev/null <<'PY'
import glob, os
try:
    import nvidia
except ImportError:
    raise SystemExit(0)
for root in list(nvidia.__path__):
    for d in sorted(glob.glob(os.path.join(root, "*", "lib"))):
        print(d)
PY
)
fi

export LD_LIBRARY_PATH="${KN_DIRS}${LD_LIBRARY_PATH:+${KN_DIRS:+:}$LD_LIBRARY_PATH}"

if [ "$KN_VERBOSE" = 1 ]; then
    kn_line="libs:"
    for lib in $KN_WANTED; do
        kn_found="missing"
        IFS=: read -r -a kn_path <<< "$LD_LIBRARY_PATH"
        for d in "${kn_path[@]}"; do
            if [ -n "$d" ] && [ -e "$d/$lib" ]; then
                kn_found="$d"
                break
            fi
        done
        if [ "$kn_found" = missing ] && [ -n "$KN_LDCONFIG" ]; then
            kn_found="$("$KN_LDCONFIG" -p 2>/dev/null | awk -v n="$lib" '$1 == n { print $NF; exit }')"
            kn_found="${kn_found:-missing}"
        fi
        kn_line="$kn_line $lib=$kn_found"
    done
    echo "$kn_line" >&2
fi
