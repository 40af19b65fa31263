// The emulated CUDA driver: the part of libcuda.so.1 that KernelNet's cuda backend uses, on the host, so that the
// backend's Java, its launches and our kernels run in `mvn test` without a GPU (kernels.cpp compiles the kernels
// with simt.h; every other symbol JCuda links against is a stub that says it is not emulated: build.sh).
//
// - One device, "KernelNet emulated device": sm_80, KN_EMU_SMS multiprocessors (8), KN_EMU_MEMORY_MIB of memory
//   (4096), both overridable by environment variables of those names.
// - Device memory is host memory with guard bytes on both sides, checked after every kernel and copy, at free and
//   when the context goes: a write out of bounds makes the context's error sticky (CUDA_ERROR_ILLEGAL_ADDRESS) and
//   says on stderr which kernel or copy, which allocation and where. Pointer arguments of a launch and the ranges
//   of copies must lie in a live allocation.
// - Work runs when it is issued, so streams run in issue order and events are times; a stream being captured
//   records kernels, copies and memsets instead, which cuGraphLaunch replays (the arguments as they were at
//   capture); a capture that meets a call CUDA forbids there (synchronizing, allocating) is invalidated.
// - Modules: any image loads (the fatbin is ignored); functions are looked up by name in the table that
//   native/kernel-spec/KernelSpec.java generates from the kernels' declarations.
// One lock serializes every call: the kernels' __shared__ statics and the scheduler are process-wide.
#include "driver.h"

#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr const char* DEVICE_NAME = "KernelNet emulated device";
constexpr size_t GUARD = 64;  // bytes on each side of an allocation
constexpr unsigned char GUARD_BYTE = 0xA5;
constexpr size_t ALIGN = 256;  // cuMemAlloc's alignment

std::recursive_mutex lock_;

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == 0) return fallback;
    char* end = nullptr;
    const long x = std::strtol(v, &end, 10);
    return end != nullptr && *end == 0 && x > 0 && x < (1L << 30) ? static_cast<int>(x) : fallback;
}

void say(const char* format, ...) {
    std::va_list args;
    va_start(args, format);
    std::fputs("[KernelNet emulated device] ", stderr);
    std::vfprintf(stderr, format, args);
    std::fputc('\n', stderr);
    std::fflush(stderr);
    va_end(args);
}

struct Allocation {
    unsigned char* block;  // what posix_memalign gave: ALIGN - GUARD bytes, GUARD bytes, the user's, GUARD bytes
    size_t bytes;
    unsigned long serial;
    unsigned char* user() const { return block + ALIGN; }
    unsigned char* before() const { return user() - GUARD; }
    unsigned char* after() const { return user() + bytes; }
};

enum class NodeKind { kernel, copy, memset32 };

struct Node {
    NodeKind kind;
    const KernelEntry* kernel = nullptr;
    Dim3 grid, block;
    std::vector<std::vector<unsigned char>> params;  // each parameter's bytes, copied at capture
    CUdeviceptr dst = 0;
    const void* src = nullptr;
    size_t bytes = 0;
    unsigned value = 0;
    size_t count = 0;
};

struct Graph {
    std::vector<Node> nodes;
};

struct Stream;
struct Capture {
    int mode;
    bool invalidated = false;
    std::string why;
    Stream* origin;
    std::shared_ptr<Graph> graph = std::make_shared<Graph>();
};

struct Stream {
    std::shared_ptr<Capture> capture;  // set while this stream is capturing (the origin or a joined stream)
};

struct Event {
    unsigned flags;
    bool recorded = false;
    double millis = 0;
    std::shared_ptr<Capture> capture;  // recorded in a capturing stream: waiting on it joins the capture
};

struct Context {
    int refs = 0;
    CUresult sticky = CUDA_SUCCESS;
    std::map<uintptr_t, Allocation> memory;  // by user address
    size_t allocated = 0;
    unsigned long serial = 0;
};

Context context_;  // the device's one (primary) context
bool initialized = false;
Stream legacy_stream;
thread_local Context* current_ = nullptr;
thread_local Capture* thread_capture = nullptr;  // this thread's capture, if in global or thread-local mode
std::set<void*> streams, events, modules, graphs, execs, host_blocks;
const auto clock_start = std::chrono::steady_clock::now();

size_t memory_limit() { return static_cast<size_t>(env_int("KN_EMU_MEMORY_MIB", 4096)) << 20; }

Stream* stream_of(CUstream s) { return s == nullptr ? &legacy_stream : reinterpret_cast<Stream*>(s); }

const Allocation* find(uintptr_t address) {
    auto it = context_.memory.upper_bound(address);
    if (it == context_.memory.begin()) return nullptr;
    --it;
    const uintptr_t base = reinterpret_cast<uintptr_t>(it->second.user());
    return address <= base + it->second.bytes ? &it->second : nullptr;
}

// Whether [address, address + bytes) lies in one live allocation.
bool in_memory(CUdeviceptr address, size_t bytes) {
    const Allocation* a = find(address);
    return a != nullptr && address + bytes <= reinterpret_cast<uintptr_t>(a->user()) + a->bytes;
}

// The first changed guard byte of a, or nullptr.
const char* guard_damage(const Allocation& a, long& offset) {
    for (size_t i = 0; i < GUARD; ++i) {
        if (a.after()[i] != GUARD_BYTE) {
            offset = static_cast<long>(i);
            return "after its end";
        }
        if (a.before()[GUARD - 1 - i] != GUARD_BYTE) {
            offset = -1 - static_cast<long>(i);
            return "before its start";
        }
    }
    return nullptr;
}

// After `what` ran: a damaged guard makes the context's error sticky, as an illegal address does on a GPU.
CUresult check_guards(const char* what) {
    for (auto& [address, a] : context_.memory) {
        long offset = 0;
        if (const char* where = guard_damage(a, offset)) {
            say("%s wrote out of bounds: byte %ld %s of allocation #%lu (%zu bytes at 0x%" PRIxPTR ")", what,
                offset < 0 ? -offset : offset + 1, where, a.serial, a.bytes, address);
            context_.sticky = CUDA_ERROR_ILLEGAL_ADDRESS;
            return context_.sticky;
        }
    }
    return CUDA_SUCCESS;
}

// The common prologue of calls that need the context: initialized, current, no sticky error.
CUresult ready() {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (current_ == nullptr || context_.refs == 0) return CUDA_ERROR_INVALID_CONTEXT;
    return context_.sticky;
}

// A call CUDA forbids while this thread captures in global or thread-local mode: it invalidates the capture.
bool forbidden_in_capture(const char* call) {
    Capture* c = thread_capture;
    if (c == nullptr || c->mode == CU_STREAM_CAPTURE_MODE_RELAXED) return false;
    if (!c->invalidated) {
        c->invalidated = true;
        c->why = call;
    }
    return true;
}

CUresult run_kernel(const KernelEntry& k, Dim3 grid, Dim3 block, void* const* params) {
    for (int i = 0; i < k.param_count; ++i) {
        if (!k.params[i].pointer) continue;
        const auto p = kn_emu::param<uintptr_t>(params, i);
        if (p != 0 && find(p) == nullptr) {
            say("%s: parameter %s = 0x%" PRIxPTR " is not in device memory (freed, or never allocated)", k.name,
                k.params[i].name, p);
            context_.sticky = CUDA_ERROR_ILLEGAL_ADDRESS;
            return context_.sticky;
        }
    }
    if (!k.run(params, grid, block)) {
        say("%s<<<(%u,%u,%u), (%u,%u,%u)>>> failed: %s", k.name, grid.x, grid.y, grid.z, block.x, block.y, block.z,
            kn_emu::why());
        context_.sticky = CUDA_ERROR_LAUNCH_FAILED;
        return context_.sticky;
    }
    return check_guards(k.name);
}

CUresult run(const Node& n) {
    switch (n.kind) {
        case NodeKind::kernel: {
            std::vector<void*> params;
            for (auto& p : n.params) params.push_back(const_cast<unsigned char*>(p.data()));
            return run_kernel(*n.kernel, n.grid, n.block, params.data());
        }
        case NodeKind::copy:
            std::memmove(reinterpret_cast<void*>(n.dst), n.src, n.bytes);
            return check_guards("a copy");
        case NodeKind::memset32: {
            auto* d = reinterpret_cast<unsigned*>(n.dst);
            for (size_t i = 0; i < n.count; ++i) d[i] = n.value;
            return check_guards("a memset");
        }
    }
    return CUDA_ERROR_INVALID_VALUE;
}

// Runs n now, or records it when the stream is capturing.
CUresult issue(CUstream s, Node n) {
    Stream* stream = stream_of(s);
    if (stream->capture) {
        stream->capture->graph->nodes.push_back(std::move(n));
        return CUDA_SUCCESS;
    }
    return run(n);
}

CUresult copy(CUstream s, CUdeviceptr dst, const void* src, size_t bytes, bool dst_device, bool src_device,
              const char* call) {
    if (CUresult r = ready()) return r;
    if (bytes == 0) return CUDA_SUCCESS;
    if ((dst_device && !in_memory(dst, bytes))
        || (src_device && !in_memory(reinterpret_cast<uintptr_t>(src), bytes))) {
        say("%s of %zu bytes from %p to 0x%llx: a device range lies outside every allocation", call, bytes, src,
            dst);
        return CUDA_ERROR_INVALID_VALUE;
    }
    Node n{NodeKind::copy};
    n.dst = dst;
    n.src = src;
    n.bytes = bytes;
    return issue(s, std::move(n));
}

// A synchronous copy: forbidden while this thread captures, and never recorded.
CUresult copy_now(CUdeviceptr dst, const void* src, size_t bytes, bool dst_device, bool src_device, const char* call) {
    if (forbidden_in_capture(call)) return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
    return copy(nullptr, dst, src, bytes, dst_device, src_device, call);
}

CUresult memset32(CUdeviceptr dst, unsigned value, size_t count, CUstream s) {
    if (CUresult r = ready()) return r;
    if (count == 0) return CUDA_SUCCESS;
    if (!in_memory(dst, count * 4)) {
        say("cuMemsetD32 of %zu words at 0x%llx: outside every allocation", count, dst);
        return CUDA_ERROR_INVALID_VALUE;
    }
    Node n{NodeKind::memset32};
    n.dst = dst;
    n.value = value;
    n.count = count;
    return issue(s, std::move(n));
}

// Frees every allocation of the context, reporting damaged guards (the last chance to see them).
void release_all_memory() {
    for (auto& [address, a] : context_.memory) {
        long offset = 0;
        if (const char* where = guard_damage(a, offset)) {
            say("at context release: allocation #%lu (%zu bytes at 0x%" PRIxPTR ") was written %s", a.serial,
                a.bytes, address, where);
        }
        std::free(a.block);
    }
    context_.memory.clear();
    context_.allocated = 0;
}

// A new handle: the object, remembered among the live ones of its kind.
template <class T, class Handle>
CUresult create(std::set<void*>& live, Handle* handle, T* object) {
    live.insert(object);
    *handle = reinterpret_cast<Handle>(object);
    return CUDA_SUCCESS;
}

template <class T>
CUresult destroy(std::set<void*>& live, void* handle) {
    if (live.erase(handle) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<T*>(handle);
    return CUDA_SUCCESS;
}

}  // namespace

#define LOCKED std::lock_guard<std::recursive_mutex> hold(lock_)

extern "C" {

CUresult cuInit(unsigned flags) {
    LOCKED;
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    initialized = true;
    return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int* version) {
    if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *version = 13000;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int* count) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
    *count = 1;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* device, int ordinal) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *device = 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int length, CUdevice device) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (name == nullptr || length <= 0) return CUDA_ERROR_INVALID_VALUE;
    std::snprintf(name, static_cast<size_t>(length), "%s", DEVICE_NAME);
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = memory_limit();
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    switch (attribute) {
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: *value = 1024; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *value = 2147483647; break;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *value = 65535; break;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *value = 48 * 1024; break;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *value = 32; break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = env_int("KN_EMU_SMS", 8); break;
        case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE: *value = 4 << 20; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = 8; break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = 0; break;
        default:
            say("cuDeviceGetAttribute(%d) is not emulated", attribute);
            return CUDA_ERROR_NOT_SUPPORTED;
    }
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device) {
    LOCKED;
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    context_.refs++;
    *context = reinterpret_cast<CUcontext>(&context_);
    return CUDA_SUCCESS;
}

// The last release destroys the context, as on a GPU: its memory goes and a sticky error with it.
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
    LOCKED;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (context_.refs == 0) return CUDA_ERROR_INVALID_CONTEXT;
    if (--context_.refs == 0) {
        release_all_memory();
        context_.sticky = CUDA_SUCCESS;
    }
    return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext context) {
    LOCKED;
    if (context != nullptr && context != reinterpret_cast<CUcontext>(&context_)) return CUDA_ERROR_INVALID_CONTEXT;
    current_ = reinterpret_cast<Context*>(context);
    return CUDA_SUCCESS;
}

CUresult cuCtxGetCurrent(CUcontext* context) {
    *context = reinterpret_cast<CUcontext>(current_);
    return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize() {
    LOCKED;
    if (forbidden_in_capture("cuCtxSynchronize")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    return ready();
}

CUresult cuMemAlloc_v2(CUdeviceptr* pointer, size_t bytes) {
    LOCKED;
    if (CUresult r = ready()) return r;
    if (forbidden_in_capture("cuMemAlloc")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (pointer == nullptr || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    const size_t rounded = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    if (rounded > memory_limit() - context_.allocated) return CUDA_ERROR_OUT_OF_MEMORY;
    // the user's bytes start ALIGN-aligned: GUARD bytes before them in a block aligned to ALIGN, offset by GUARD
    void* raw = nullptr;
    if (posix_memalign(&raw, ALIGN, ALIGN + bytes + GUARD) != 0) return CUDA_ERROR_OUT_OF_MEMORY;
    Allocation a{static_cast<unsigned char*>(raw), bytes, ++context_.serial};
    std::memset(a.before(), GUARD_BYTE, GUARD);
    std::memset(a.after(), GUARD_BYTE, GUARD);
    // fresh device memory holds garbage, not zeros: a kernel that reads before writing shows up
    std::memset(a.user(), 0xFF, bytes);
    context_.memory[reinterpret_cast<uintptr_t>(a.user())] = a;
    context_.allocated += rounded;
    *pointer = reinterpret_cast<uintptr_t>(a.user());
    return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr pointer) {
    LOCKED;
    if (CUresult r = ready()) return r;
    if (forbidden_in_capture("cuMemFree")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    auto it = context_.memory.find(pointer);
    if (it == context_.memory.end()) {
        say("cuMemFree(0x%llx): not the start of a live allocation", pointer);
        return CUDA_ERROR_INVALID_VALUE;
    }
    Allocation a = it->second;
    long offset = 0;
    if (const char* where = guard_damage(a, offset)) {
        say("cuMemFree: allocation #%lu (%zu bytes at 0x%llx) was written %s", a.serial, a.bytes, pointer, where);
        context_.sticky = CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    context_.memory.erase(it);
    context_.allocated -= (a.bytes + ALIGN - 1) / ALIGN * ALIGN;
    std::free(a.block);
    return context_.sticky;
}

CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    LOCKED;
    if (CUresult r = ready()) return r;
    *total = memory_limit();
    *free = memory_limit() - context_.allocated;
    return CUDA_SUCCESS;
}

CUresult cuMemAllocHost_v2(void** pointer, size_t bytes) {
    LOCKED;
    if (CUresult r = ready()) return r;
    if (forbidden_in_capture("cuMemAllocHost")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (posix_memalign(pointer, 4096, bytes == 0 ? 1 : bytes) != 0) return CUDA_ERROR_OUT_OF_MEMORY;
    host_blocks.insert(*pointer);
    return CUDA_SUCCESS;
}

CUresult cuMemFreeHost(void* pointer) {
    LOCKED;
    if (forbidden_in_capture("cuMemFreeHost")) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (host_blocks.erase(pointer) == 0) return CUDA_ERROR_INVALID_VALUE;
    std::free(pointer);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
    LOCKED;
    return copy_now(dst, src, bytes, true, false, "cuMemcpyHtoD");
}

CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
    LOCKED;
    return copy_now(reinterpret_cast<uintptr_t>(dst), reinterpret_cast<const void*>(src), bytes, false, true,
                    "cuMemcpyDtoH");
}

CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
    LOCKED;
    return copy_now(dst, reinterpret_cast<const void*>(src), bytes, true, true, "cuMemcpyDtoD");
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, CUstream s) {
    LOCKED;
    return copy(s, dst, src, bytes, true, false, "cuMemcpyHtoDAsync");
}

CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, CUstream s) {
    LOCKED;
    return copy(s, reinterpret_cast<uintptr_t>(dst), reinterpret_cast<const void*>(src), bytes, false, true,
                "cuMemcpyDtoHAsync");
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream s) {
    LOCKED;
    return copy(s, dst, reinterpret_cast<const void*>(src), bytes, true, true, "cuMemcpyDtoDAsync");
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count, CUstream s) {
    LOCKED;
    return memset32(dst, value, count, s);
}

CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned value, size_t count) {
    LOCKED;
    if (forbidden_in_capture("cuMemsetD32")) return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
    return memset32(dst, value, count, nullptr);
}

CUresult cuStreamCreate(CUstream* stream, unsigned) {
    LOCKED;
    if (CUresult r = ready()) return r;
    return create(streams, stream, new Stream());
}

CUresult cuStreamDestroy_v2(CUstream stream) {
    LOCKED;
    return destroy<Stream>(streams, stream);
}

CUresult cuStreamSynchronize(CUstream stream) {
    LOCKED;
    if (const auto& c = stream_of(stream)->capture) {
        c->invalidated = true;
        c->why = "cuStreamSynchronize on a capturing stream";
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    return ready();
}

CUresult cuStreamQuery(CUstream stream) {
    LOCKED;
    if (stream_of(stream)->capture) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    return ready();
}

CUresult cuStreamBeginCapture_v2(CUstream stream, int mode) {
    LOCKED;
    if (CUresult r = ready()) return r;
    Stream* s = stream_of(stream);
    if (s == &legacy_stream) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (s->capture) return CUDA_ERROR_ILLEGAL_STATE;
    auto c = std::make_shared<Capture>();
    c->mode = mode;
    c->origin = s;
    s->capture = c;
    if (mode != CU_STREAM_CAPTURE_MODE_RELAXED) thread_capture = c.get();
    return CUDA_SUCCESS;
}

// Ends the capture on the origin stream and every stream that joined it; an invalidated capture gives no graph.
CUresult cuStreamEndCapture(CUstream stream, CUgraph* graph) {
    LOCKED;
    Stream* s = stream_of(stream);
    if (!s->capture || s->capture->origin != s) return CUDA_ERROR_ILLEGAL_STATE;
    std::shared_ptr<Capture> c = s->capture;
    for (void* other : streams) {
        auto* o = static_cast<Stream*>(other);
        if (o->capture == c) o->capture.reset();
    }
    for (void* event : events) {
        auto* e = static_cast<Event*>(event);
        if (e->capture == c) e->capture.reset();
    }
    if (thread_capture == c.get()) thread_capture = nullptr;
    if (c->invalidated) {
        say("stream capture invalidated by %s", c->why.c_str());
        *graph = nullptr;
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
    return create(graphs, graph, new Graph(*c->graph));
}

CUresult cuStreamIsCapturing(CUstream stream, int* status) {
    LOCKED;
    const auto& c = stream_of(stream)->capture;
    *status = !c ? CU_STREAM_CAPTURE_STATUS_NONE
                 : c->invalidated ? CU_STREAM_CAPTURE_STATUS_INVALIDATED : CU_STREAM_CAPTURE_STATUS_ACTIVE;
    return CUDA_SUCCESS;
}

CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned) {
    LOCKED;
    if (CUresult r = ready()) return r;
    auto* e = reinterpret_cast<Event*>(event);
    if (events.count(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
    Stream* s = stream_of(stream);
    // waiting on an event recorded in a capture joins that capture (work already ran in issue order)
    if (e->capture && !s->capture) s->capture = e->capture;
    return CUDA_SUCCESS;
}

CUresult cuEventCreate(CUevent* event, unsigned flags) {
    LOCKED;
    if (CUresult r = ready()) return r;
    return create(events, event, new Event{flags});
}

CUresult cuEventDestroy_v2(CUevent event) {
    LOCKED;
    return destroy<Event>(events, event);
}

CUresult cuEventRecord(CUevent event, CUstream stream) {
    LOCKED;
    if (CUresult r = ready()) return r;
    auto* e = reinterpret_cast<Event*>(event);
    if (events.count(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
    Stream* s = stream_of(stream);
    e->capture = s->capture;
    e->recorded = true;
    e->millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - clock_start).count();
    return CUDA_SUCCESS;
}

CUresult cuEventSynchronize(CUevent event) {
    LOCKED;
    auto* e = reinterpret_cast<Event*>(event);
    if (events.count(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (e->capture) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;  // recorded in a capture still going on
    return ready();
}

CUresult cuEventQuery(CUevent event) {
    LOCKED;
    auto* e = reinterpret_cast<Event*>(event);
    if (events.count(e) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (e->capture) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    return ready();
}

// Host time between the records: what the emulation took, never a GPU figure.
CUresult cuEventElapsedTime(float* millis, CUevent start, CUevent end) {
    LOCKED;
    auto* a = reinterpret_cast<Event*>(start);
    auto* b = reinterpret_cast<Event*>(end);
    if (events.count(a) == 0 || events.count(b) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if ((a->flags | b->flags) & CU_EVENT_DISABLE_TIMING) return CUDA_ERROR_INVALID_HANDLE;
    if (!a->recorded || !b->recorded) return CUDA_ERROR_INVALID_HANDLE;
    *millis = static_cast<float>(b->millis - a->millis);
    return CUDA_SUCCESS;
}

CUresult cuModuleLoadData(CUmodule* module, const void* image) {
    LOCKED;
    if (CUresult r = ready()) return r;
    if (image == nullptr) return CUDA_ERROR_INVALID_IMAGE;
    return create(modules, module, new int(0));  // the image is ignored: kernels come from the table
}

CUresult cuModuleUnload(CUmodule module) {
    LOCKED;
    return destroy<int>(modules, module);
}

CUresult cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name) {
    LOCKED;
    if (CUresult r = ready()) return r;
    if (modules.count(module) == 0) return CUDA_ERROR_INVALID_HANDLE;
    for (int i = 0; i < kn_emu_kernel_count; ++i) {
        if (std::strcmp(kn_emu_kernels[i].name, name) == 0) {
            *function = reinterpret_cast<CUfunction>(const_cast<KernelEntry*>(&kn_emu_kernels[i]));
            return CUDA_SUCCESS;
        }
    }
    say("cuModuleGetFunction: no kernel %s in the emulated device's table (kernels/*.cu declare %d)", name,
        kn_emu_kernel_count);
    return CUDA_ERROR_NOT_FOUND;
}

CUresult cuLaunchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared_bytes, CUstream stream, void** params, void** extra) {
    LOCKED;
    if (CUresult r = ready()) return r;
    const auto* k = reinterpret_cast<const KernelEntry*>(function);
    if (k < kn_emu_kernels || k >= kn_emu_kernels + kn_emu_kernel_count) return CUDA_ERROR_INVALID_HANDLE;
    if (extra != nullptr || shared_bytes != 0) {
        say("%s: kernel parameters through 'extra' and dynamic shared memory are not emulated", k->name);
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    if (gx == 0 || gy == 0 || gz == 0 || gy > 65535 || gz > 65535 || bx * by * bz == 0 || bx * by * bz > 1024
        || params == nullptr) {
        say("%s<<<(%u,%u,%u), (%u,%u,%u)>>>: invalid launch", k->name, gx, gy, gz, bx, by, bz);
        return CUDA_ERROR_INVALID_VALUE;
    }
    Node n{NodeKind::kernel, k, {gx, gy, gz}, {bx, by, bz}};
    for (int i = 0; i < k->param_count; ++i) {
        const auto* bytes = static_cast<const unsigned char*>(params[i]);
        n.params.emplace_back(bytes, bytes + k->params[i].bytes);
    }
    return issue(stream, std::move(n));
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec* exec, CUgraph graph, unsigned long long) {
    LOCKED;
    if (CUresult r = ready()) return r;
    if (graphs.count(graph) == 0) return CUDA_ERROR_INVALID_HANDLE;
    return create(execs, exec, new Graph(*reinterpret_cast<Graph*>(graph)));
}

CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream) {
    LOCKED;
    if (CUresult r = ready()) return r;
    if (execs.count(exec) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (stream_of(stream)->capture) {
        say("cuGraphLaunch into a capturing stream is not emulated");
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    for (const Node& n : reinterpret_cast<Graph*>(exec)->nodes) {
        if (CUresult r = run(n)) return r;
    }
    return CUDA_SUCCESS;
}

CUresult cuGraphDestroy(CUgraph graph) {
    LOCKED;
    return destroy<Graph>(graphs, graph);
}

CUresult cuGraphExecDestroy(CUgraphExec exec) {
    LOCKED;
    return destroy<Graph>(execs, exec);
}

}  // extern "C"
