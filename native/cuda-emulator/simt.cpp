// The thread scheduler of simt.h: every thread of a block is a fiber with its own stack in a host thread. A pass
// resumes each runnable fiber in thread order until it parks at a barrier or returns; then the barriers whose
// threads have all arrived open. The blocks of a launch go to a pool of host threads, one block at a time each;
// blocks do not talk to each other (but through atomics), so the results do not depend on which thread ran which.
//
// On x86-64 a fiber switch is a few instructions (kn_emu_switch below: the callee-saved registers; the kernels
// never change the floating-point control registers); elsewhere ucontext does it (slower: it saves the signal
// mask with a system call).
#include "simt.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#if defined(__x86_64__)
// kn_emu_switch(void** save, void* load): saves the callee-saved registers on the current stack, stores the stack
// pointer in *save, and resumes the stack at load (as saved by an earlier switch, or as prepared by prepare()).
extern "C" void kn_emu_switch(void** save, void* load);
asm(R"(
    .text
    .globl kn_emu_switch
    .hidden kn_emu_switch
    .type kn_emu_switch, @function
kn_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size kn_emu_switch, .-kn_emu_switch
    .section .note.GNU-stack,"",@progbits
    .text
)");
#endif

namespace kn_emu {
namespace {

enum class State : unsigned char { runnable, at_block_barrier, at_warp_barrier, done };

// A fiber's stack: STACK_BYTES aligned to STACK_BYTES, its FiberHeader in the lowest page, then a guard page that
// turns an overflow into a crash, then the stack proper, growing down from the top.
constexpr size_t PAGE = 4096;
constexpr unsigned MAX_THREADS = 1024;

struct Fiber {
#if defined(__x86_64__)
    void* sp = nullptr;
#else
    ucontext_t context;
#endif
    FiberHeader* header = nullptr;  // the base of its STACK_BYTES
    State state = State::runnable;
};

// One host thread's scheduler, and the block it runs.
struct Scheduler {
    std::vector<Fiber> fibers;
    Block block;
    Fiber* current = nullptr;
    void (*body)(void*) = nullptr;
    void* context = nullptr;
    bool trapped = false;
    std::string failure;
    unsigned long long lanes[MAX_THREADS];  // the shuffles' slots
#if defined(__x86_64__)
    void* sp = nullptr;
#else
    ucontext_t saved;
#endif
};

thread_local Scheduler* self = nullptr;

Scheduler& scheduler() {
    if (self == nullptr) self = new Scheduler();  // per host thread, for the life of the process
    return *self;
}

// The scheduler of the running fiber.
Scheduler& mine() { return *static_cast<Scheduler*>(here()->scheduler); }

// The running fiber is done (returned or trapped): back to the scheduler for good.
[[noreturn]] void finish(Scheduler& s) {
    s.current->state = State::done;
#if defined(__x86_64__)
    kn_emu_switch(&s.current->sp, s.sp);
#else
    setcontext(&s.saved);
#endif
    std::abort();  // a finished fiber is never resumed
}

[[noreturn]] void fiber_main() {
    Scheduler& s = mine();
    s.body(s.context);
    finish(s);
}

// Back to the scheduler; the fiber resumes here when its barrier opens.
void park(State state) {
    Scheduler& s = mine();
    s.current->state = state;
#if defined(__x86_64__)
    kn_emu_switch(&s.current->sp, s.sp);
#else
    swapcontext(&s.current->context, &s.saved);
#endif
}

void resume(Scheduler& s, unsigned t) {
    s.current = &s.fibers[t];
#if defined(__x86_64__)
    kn_emu_switch(&s.sp, s.current->sp);
#else
    swapcontext(&s.saved, &s.current->context);
#endif
}

// A fresh fiber of thread t starts in fiber_main with an empty stack.
void prepare(Scheduler& s, unsigned t) {
    Fiber& f = s.fibers[t];
    const Dim3 dim = s.block.dim;
    f.header->thread = {t % dim.x, t / dim.x % dim.y, t / (dim.x * dim.y)};
    f.header->block = &s.block;
    f.header->scheduler = &s;
    f.state = State::runnable;
    char* base = reinterpret_cast<char*>(f.header);
#if defined(__x86_64__)
    auto top = reinterpret_cast<std::uintptr_t>(base + STACK_BYTES);
    auto* sp = reinterpret_cast<std::uint64_t*>(top);
    *--sp = 0;  // fiber_main's return address: it never returns
    *--sp = reinterpret_cast<std::uint64_t>(&fiber_main);  // where kn_emu_switch's ret goes
    for (int r = 0; r < 6; ++r) *--sp = 0;  // rbp rbx r12 r13 r14 r15
    f.sp = sp;
#else
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = base + 2 * PAGE;
    f.context.uc_stack.ss_size = STACK_BYTES - 2 * PAGE;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiber_main, 0);
#endif
}

bool ensure_fibers(Scheduler& s, unsigned n) {
    while (s.fibers.size() < n) {
        // twice the size, then the aligned STACK_BYTES inside kept and the rest returned
        void* m = mmap(nullptr, 2 * STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return false;
        const auto start = reinterpret_cast<std::uintptr_t>(m);
        const auto base = (start + STACK_BYTES - 1) & ~std::uintptr_t{STACK_BYTES - 1};
        if (base > start) munmap(m, base - start);
        munmap(reinterpret_cast<void*>(base + STACK_BYTES), start + 2 * STACK_BYTES - base - STACK_BYTES);
        mprotect(reinterpret_cast<void*>(base + PAGE), PAGE, PROT_NONE);
        Fiber f;
        f.header = reinterpret_cast<FiberHeader*>(base);
        s.fibers.push_back(f);
    }
    return true;
}

const char* state_name(State s) {
    switch (s) {
        case State::runnable: return "runnable";
        case State::at_block_barrier: return "at __syncthreads";
        case State::at_warp_barrier: return "at a warp shuffle";
        case State::done: return "returned";
    }
    return "?";
}

// Opens the barriers every live thread has reached; false when none can open (a deadlock).
bool open_barriers(Scheduler& s, unsigned n, bool& all_done) {
    unsigned done = 0, at_block = 0;
    for (unsigned t = 0; t < n; ++t) {
        done += s.fibers[t].state == State::done;
        at_block += s.fibers[t].state == State::at_block_barrier;
    }
    all_done = done == n;
    if (all_done) return true;
    if (at_block + done == n) {
        for (unsigned t = 0; t < n; ++t)
            if (s.fibers[t].state == State::at_block_barrier) s.fibers[t].state = State::runnable;
        return true;
    }
    bool opened = false;
    for (unsigned w = 0; w < n; w += 32) {
        const unsigned end = std::min(n, w + 32);
        bool all_here = true, any_here = false;
        for (unsigned t = w; t < end; ++t) {
            const State st = s.fibers[t].state;
            any_here |= st == State::at_warp_barrier;
            all_here &= st == State::at_warp_barrier || st == State::done;
        }
        if (any_here && all_here) {
            for (unsigned t = w; t < end; ++t)
                if (s.fibers[t].state == State::at_warp_barrier) s.fibers[t].state = State::runnable;
            opened = true;
        }
    }
    return opened;
}

bool run_block(Scheduler& s, unsigned n) {
    for (unsigned t = 0; t < n; ++t) prepare(s, t);
    for (;;) {
        for (unsigned t = 0; t < n; ++t) {
            if (s.fibers[t].state == State::runnable) resume(s, t);
            if (s.trapped) {
                char text[160];
                std::snprintf(text, sizeof text, "__trap() in block (%u,%u,%u) thread %u", s.block.idx.x,
                              s.block.idx.y, s.block.idx.z, t);
                s.failure = text;
                return false;
            }
        }
        bool all_done = false;
        if (!open_barriers(s, n, all_done)) {
            std::string states;
            for (unsigned t = 0; t < n; t += 32) {
                states += " warp " + std::to_string(t / 32) + ": thread " + std::to_string(t) + " "
                          + state_name(s.fibers[t].state) + ";";
            }
            char text[96];
            std::snprintf(text, sizeof text, "barrier deadlock in block (%u,%u,%u):", s.block.idx.x, s.block.idx.y,
                          s.block.idx.z);
            s.failure = text + states;
            return false;
        }
        if (all_done) return true;
    }
}

// One launch shared out among the pool: each thread takes the next block until none is left or one failed.
struct Job {
    void (*body)(void*);
    void* context;
    Dim3 grid, block;
    unsigned blocks;
    std::atomic<unsigned> next{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::string failure;  // the first failure's
    unsigned running = 0;
    std::condition_variable done;
};

void record(Job& job, const std::string& failure) {
    std::lock_guard<std::mutex> hold(job.mutex);
    if (!job.failed.exchange(true)) job.failure = failure;
}

// Runs blocks of the job on this host thread until none is left or one failed.
void take_blocks(Job& job) {
    Scheduler& s = scheduler();
    s.block.dim = job.block;
    s.block.grid = job.grid;
    s.body = job.body;
    s.context = job.context;
    const unsigned n = job.block.x * job.block.y * job.block.z;
    if (!ensure_fibers(s, n)) {
        record(job, "no memory for the fibers' stacks");
        return;
    }
    for (unsigned b; !job.failed.load(std::memory_order_relaxed) && (b = job.next.fetch_add(1)) < job.blocks;) {
        s.block.idx = {b % job.grid.x, b / job.grid.x % job.grid.y, b / (job.grid.x * job.grid.y)};
        s.trapped = false;
        if (!run_block(s, n)) {
            record(job, s.failure);
            return;
        }
    }
}

// Host threads that help with launches of more than one block; created once, never stopped (they wait).
class Pool {
public:
    static Pool& get() {
        static Pool* pool = new Pool();
        return *pool;
    }

    unsigned helpers() const { return helpers_; }

    // Runs the job on the caller and every helper; returns when all of them are done with it.
    void run(Job& job) {
        {
            std::lock_guard<std::mutex> hold(mutex_);
            job_ = &job;
            job.running = helpers_;
            ++generation_;
        }
        wake_.notify_all();
        take_blocks(job);
        std::unique_lock<std::mutex> hold(job.mutex);
        job.done.wait(hold, [&] { return job.running == 0; });
    }

private:
    Pool() {
        const char* v = std::getenv("KN_EMU_THREADS");
        const unsigned n = v != nullptr && std::atoi(v) > 0 ? static_cast<unsigned>(std::atoi(v))
                                                            : std::max(1u, std::thread::hardware_concurrency());
        helpers_ = std::min(n, 64u) - 1;
        for (unsigned i = 0; i < helpers_; ++i) std::thread([this] { work(); }).detach();
    }

    void work() {
        unsigned seen = 0;
        for (;;) {
            Job* job;
            {
                std::unique_lock<std::mutex> hold(mutex_);
                wake_.wait(hold, [&] { return generation_ != seen; });
                seen = generation_;
                job = job_;
            }
            take_blocks(*job);
            std::lock_guard<std::mutex> hold(job->mutex);
            if (--job->running == 0) job->done.notify_all();
        }
    }

    unsigned helpers_ = 0;
    std::mutex mutex_;
    std::condition_variable wake_;
    Job* job_ = nullptr;
    unsigned generation_ = 0;
};

thread_local std::string last_failure;

}  // namespace

void sync_block() { park(State::at_block_barrier); }

void sync_warp() { park(State::at_warp_barrier); }

unsigned long long exchange(unsigned long long value, unsigned from) {
    Scheduler& s = mine();
    const auto t = static_cast<unsigned>(s.current - s.fibers.data());
    s.lanes[t] = value;
    park(State::at_warp_barrier);
    const unsigned long long partner = s.lanes[from];
    park(State::at_warp_barrier);
    return partner;
}

void trap() {
    Scheduler& s = mine();
    s.trapped = true;
    finish(s);
}

bool run_grid_erased(Dim3 grid, Dim3 block, void (*body)(void*), void* context) {
    const unsigned n = block.x * block.y * block.z;
    last_failure.clear();
    if (n == 0 || n > MAX_THREADS) {
        last_failure = "a block of " + std::to_string(n) + " threads (1 to 1024 run)";
        return false;
    }
    Job job;
    job.body = body;
    job.context = context;
    job.grid = grid;
    job.block = block;
    job.blocks = grid.x * grid.y * grid.z;
    if (job.blocks == 1 || Pool::get().helpers() == 0) {
        take_blocks(job);
    } else {
        Pool::get().run(job);
    }
    last_failure = job.failure;
    return !job.failed;
}

const char* why() { return last_failure.c_str(); }

}  // namespace kn_emu
