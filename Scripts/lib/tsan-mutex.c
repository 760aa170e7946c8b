/* Scripts/lib/tsan-mutex.c — makes the thread sanitizer see Swift's Synchronization.Mutex.
 *
 * Mutex (Linux) locks and unlocks with an atomic compare-exchange inlined into the caller, which
 * a -sanitize=thread build instruments: TSan sees that edge. When the lock is contended, the
 * caller goes to _MutexHandle._lockSlow / _unlockSlow in libswiftSynchronization.so (spinning on
 * the same atomic, then a PI futex), which is not built with TSan: the release by one thread and
 * the acquire by the next are invisible, and TSan reports the two threads' accesses to the
 * state inside withLock as a "Swift access race" although the lock orders them.
 *
 * Loaded with LD_PRELOAD by Scripts/sanitize thread, this library takes the place of those two
 * functions for the instrumented code (its calls go through the PLT), calls the real ones, and
 * tells TSan what they did: __tsan_acquire on the lock word once _lockSlow has the lock,
 * __tsan_release on it before _unlockSlow lets it go. The lock word is the handle's only field,
 * so its address is the one the inlined fast path's atomics use: both paths meet in the same
 * TSan sync object. Nothing else changes; in a process without TSan (swift-test itself, the
 * commands the tests run) the weak __tsan_* are null and the functions only forward.
 *
 * The calling convention is Swift's (swiftcall): the handle's address (a borrowing method of a
 * ~Copyable struct) in the self register, declared here as swift_context, which clang passes
 * there; _lockSlow's UInt32 (the caller's thread id) first. Checked against the call sites a
 * 6.3 swiftc emits (r13 and edi on x86_64).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern void __tsan_acquire(void *addr) __attribute__((weak));
extern void __tsan_release(void *addr) __attribute__((weak));

#define LOCK_SLOW "$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF"
#define UNLOCK_SLOW "$s15Synchronization12_MutexHandleV11_unlockSlowyyF"

typedef __attribute__((swiftcall)) void (*lock_slow_fn)(uint32_t, void *__attribute__((swift_context)));
typedef __attribute__((swiftcall)) void (*unlock_slow_fn)(void *__attribute__((swift_context)));

static void *real(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        fprintf(stderr, "tsan-mutex: %s not found: %s\n", name, dlerror());
        abort();
    }
    return f;
}

__attribute__((swiftcall)) void swiftvs_tsan_lock_slow(uint32_t self_id, void *handle __attribute__((swift_context)))
    __asm__(LOCK_SLOW);
__attribute__((swiftcall)) void swiftvs_tsan_lock_slow(uint32_t self_id, void *handle __attribute__((swift_context))) {
    static lock_slow_fn f;
    if (!f) f = (lock_slow_fn)real(LOCK_SLOW);
    f(self_id, handle);
    if (__tsan_acquire) __tsan_acquire(handle);
}

__attribute__((swiftcall)) void swiftvs_tsan_unlock_slow(void *handle __attribute__((swift_context))) __asm__(UNLOCK_SLOW);
__attribute__((swiftcall)) void swiftvs_tsan_unlock_slow(void *handle __attribute__((swift_context))) {
    static unlock_slow_fn f;
    if (!f) f = (unlock_slow_fn)real(UNLOCK_SLOW);
    if (__tsan_release) __tsan_release(handle);
    f(handle);
}
