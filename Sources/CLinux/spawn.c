#define _GNU_SOURCE
#include "CLinux.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* The child runs on the cloning thread's TLS (no CLONE_SETTLS): no stack protector (its canary
 * is read through that TLS), and no sanitizer instrumentation either, whose hooks keep per-thread
 * state there too: under -fsanitize=thread a child updating the parent thread's state made the
 * runtime fail its own checks (Scripts/sanitize thread, docs/reliability.md). */
#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
#define CHILD_NO_STACK_PROTECTOR __attribute__((no_stack_protector))
#endif
#if __has_attribute(disable_sanitizer_instrumentation)
#define CHILD_NO_SANITIZER __attribute__((disable_sanitizer_instrumentation))
#endif
#endif
#ifndef CHILD_NO_STACK_PROTECTOR
#define CHILD_NO_STACK_PROTECTOR
#endif
#ifndef CHILD_NO_SANITIZER
#define CHILD_NO_SANITIZER
#endif
#define CHILD_CODE CHILD_NO_STACK_PROTECTOR CHILD_NO_SANITIZER

/* System calls for the child, returning -errno instead of setting errno: without CLONE_VFORK
 * the child runs concurrently with the thread that cloned it, on the same memory and TLS, so it
 * must not write that thread's errno. Child code too, and always inlined: a debug build does not
 * inline a `static inline` function, and under -fsanitize=thread its entry and exit hooks then
 * ran in the child on the cloning thread's TSan state, beside that thread (seen in
 * Scripts/sanitize thread: __tsan_func_entry/exit in raw6, then the runtime's CHECK
 * tsan_rtl.cpp:1086 on the parent's threads, and a child spinning for minutes before its exec). */
#define CHILD_SYSCALL CHILD_CODE __attribute__((always_inline))
#if defined(__x86_64__)
#define SPAWN_ASYNC 1
CHILD_SYSCALL static inline long raw6(long n, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
#define SPAWN_ASYNC 1
CHILD_SYSCALL static inline long raw6(long n, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}
#else
/* Elsewhere: glibc's syscall(), and CLONE_VFORK (the caller is suspended until the exec, so
 * the errno it sets is harmless). */
#define SPAWN_ASYNC 0
CHILD_SYSCALL static inline long raw6(long n, long a, long b, long c, long d, long e, long f) {
    long r = syscall(n, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
#endif
#define raw(n, a, b, c, d) raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* The child's deepest frame is exec_in_path's 4 KB path buffer. */
enum { CHILD_STACK = 12288, BLOCK_SIZE = 16384, POOL_MAX = 64 };

struct swiftvs_child {
    struct swiftvs_child *next; /* in the pool */
    size_t size;
    volatile int error; /* written by the child before it exits, when its setup or exec failed */
    int stdin_fd;
    int stdout_fd;
    char **argv;
    char **envp;
    const char *path;
    /* then: argv pointers, envp pointers, the argument strings, PATH, the child's stack */
};

/* Blocks of BLOCK_SIZE are kept for the next spawns: a fresh malloc of this size often comes
 * from the top of the heap, which free() gives back to the kernel, so every spawn would fault
 * in (and zero) new pages for the child's stack, on the memory the child shares with this
 * process, and every trim is a TLB shootdown on the CPUs running it.
 *
 * The kept blocks (POOL_MAX) are carved from one mapping, made at the first spawn, not from
 * the heap: a page of it is the kernel's until it is first written, so a block holds only the
 * pages really used, the header and strings this process writes and the top of the child's
 * stack (two of its four for a command named by its path), where a malloc'd block in reused
 * heap memory holds all four for as long as the daemon runs. More spawns at once than that
 * get malloc'd blocks, freed at their release. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static char *region;              /* POOL_MAX blocks; NULL until the first spawn, or if mmap failed */
static int carved;                /* blocks of the region handed out so far (POOL_MAX: no more) */
static struct swiftvs_child *pool; /* released blocks of the region */

/* pool_lock held */
static int in_region(const struct swiftvs_child *c) {
    return region && (const char *)c >= region && (const char *)c < region + (size_t)POOL_MAX * BLOCK_SIZE;
}

static struct swiftvs_child *block_get(size_t size) {
    if (size <= BLOCK_SIZE) {
        struct swiftvs_child *c = NULL;
        pthread_mutex_lock(&pool_lock);
        if (pool) {
            c = pool;
            pool = c->next;
        } else if (carved < POOL_MAX) {
            if (!region) {
                void *m = mmap(NULL, (size_t)POOL_MAX * BLOCK_SIZE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                if (m == MAP_FAILED) carved = POOL_MAX; /* malloc'd blocks only, from now on */
                else region = m;
            }
            if (region) c = (struct swiftvs_child *)(region + (size_t)carved++ * BLOCK_SIZE);
        }
        pthread_mutex_unlock(&pool_lock);
        if (c) {
            c->size = BLOCK_SIZE;
            return c;
        }
        size = BLOCK_SIZE;
    }
    struct swiftvs_child *c = malloc(size);
    if (c) c->size = size;
    return c;
}

static void block_put(struct swiftvs_child *c) {
    pthread_mutex_lock(&pool_lock);
    int kept = in_region(c);
    if (kept) {
        c->next = pool;
        pool = c;
    }
    pthread_mutex_unlock(&pool_lock);
    if (!kept) free(c);
}

/* The kernel's struct sigaction (rt_sigaction), so that glibc's internal signals (32, 33),
 * which its sigaction() refuses, are reset too. */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

/* execve, tried again while it fails with ETXTBSY (about 0.5 s at most). Returns -errno. */
CHILD_CODE static long exec_retrying(const char *file, char **argv, char **envp) {
    long r = 0;
    for (int i = 0; i < 10; i++) {
        r = raw(SYS_execve, file, argv, envp, 0);
        if (r != -ETXTBSY) return r;
        struct timespec ts = { 0, (long)(1L << i) * 1000000L };
        raw(SYS_nanosleep, &ts, 0, 0, 0);
    }
    return r;
}

/* The clone(2) wrapper to call. Under -fsanitize=thread, `clone` is the sanitizer runtime's
 * interceptor, which runs its fork bookkeeping in the child (ForkChildAfter); with CLONE_VM that
 * child shares the parent's runtime state, and the runtime failed its own check
 * (tsan_rtl.cpp:261 "((!thr->slot)) != (0)", Scripts/sanitize thread). libc's own clone, found
 * past the interceptor with RTLD_NEXT, is what the child needs; a normal build calls it directly. */
typedef int (*clone_function)(int (*)(void *), void *, int, void *, ...);

static clone_function libc_clone(void) {
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
    static clone_function found;
    clone_function fn = __atomic_load_n(&found, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (clone_function)dlsym(RTLD_NEXT, "clone");
        if (fn) __atomic_store_n(&found, fn, __ATOMIC_RELEASE);
    }
    if (fn) return fn;
#endif
#endif
    return clone;
}

/* The child's own string functions: libc's would go through a sanitizer's interceptors, which
 * keep their state in the (borrowed) thread's TLS, and `no_builtin` keeps the compiler from
 * turning these loops back into calls to libc's. */
#if defined(__has_attribute)
#if __has_attribute(no_builtin)
#define CHILD_NO_BUILTIN __attribute__((no_builtin))
#endif
#endif
#ifndef CHILD_NO_BUILTIN
#define CHILD_NO_BUILTIN
#endif

CHILD_CODE CHILD_NO_BUILTIN static size_t child_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* The first `c` in `s`, or its terminating NUL (strchrnul). */
CHILD_CODE CHILD_NO_BUILTIN static const char *child_strchrnul(const char *s, char c) {
    while (*s && *s != c) s++;
    return s;
}

CHILD_CODE CHILD_NO_BUILTIN static void child_memcpy(char *to, const char *from, size_t n) {
    for (size_t i = 0; i < n; i++) to[i] = from[i];
}

/* The search of PATH for exec_searching, in a frame of its own: its 4 KB buffer is on the
 * child's stack only when there is a search, and a command named by its path runs in the top
 * page of the stack (a block then holds two pages, not three). */
CHILD_CODE CHILD_NO_BUILTIN __attribute__((noinline)) static long exec_in_path(struct swiftvs_child *c) {
    const char *file = c->argv[0];
    const char *p = c->path ? c->path : "/bin:/usr/bin";
    size_t flen = child_strlen(file);
    char buf[4096];
    int denied = 0;
    for (;;) {
        const char *end = child_strchrnul(p, ':');
        size_t dlen = (size_t)(end - p);
        if (dlen + flen + 2 <= sizeof buf) {
            size_t at = 0;
            if (dlen) { child_memcpy(buf, p, dlen); buf[dlen] = '/'; at = dlen + 1; }
            child_memcpy(buf + at, file, flen + 1);
            long r = exec_retrying(buf, c->argv, c->envp);
            switch (-r) {
            case EACCES: denied = 1; break;
            case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT: break;
            default: return r;
            }
        }
        if (!*end) break;
        p = end + 1;
    }
    return denied ? -EACCES : -ENOENT;
}

/* execvp without malloc or errno (this runs in the parent's memory). Returns -errno. */
CHILD_CODE static long exec_searching(struct swiftvs_child *c) {
    const char *file = c->argv[0];
    if (*child_strchrnul(file, '/')) return exec_retrying(file, c->argv, c->envp);
    return exec_in_path(c);
}

CHILD_CODE static int child(void *arg) {
    struct swiftvs_child *c = arg;
    long r;
    /* Every signal is blocked (the mask the parent had at the clone) until all of them are
     * back at SIG_DFL: no handler of the parent's can run on this shared memory. */
    /* Field by field: an initialiser of all zeros is a call to memset in a debug build (seen with
     * objdump), and under -fsanitize=thread memset is the runtime's interceptor, which ran here,
     * in the child, on the cloning thread's TSan state beside that thread: its ignore count went
     * wrong, the cause of the runtime's CHECK tsan_rtl.cpp:1086 (docs/reliability.md). */
    struct kernel_sigaction dfl;
    dfl.handler = SIG_DFL;
    dfl.flags = 0;
    dfl.restorer = 0;
    dfl.mask = 0;
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        raw(SYS_rt_sigaction, sig, &dfl, 0, sizeof dfl.mask);
    }
    if ((r = raw(SYS_setpgid, 0, 0, 0, 0)) < 0) goto fail;
    /* A descriptor below 3 would be overwritten by the dup3s before it is used. */
    long in = c->stdin_fd, out = c->stdout_fd;
    if (in < 3 && (in = raw(SYS_fcntl, in, F_DUPFD, 3, 0)) < 0) { r = in; goto fail; }
    if (out < 3 && (out = raw(SYS_fcntl, out, F_DUPFD, 3, 0)) < 0) { r = out; goto fail; }
    /* in, out >= 3: dup3 clears close-on-exec on 0, 1 and 2. */
    if ((r = raw(SYS_dup3, in, 0, 0, 0)) < 0 || (r = raw(SYS_dup3, out, 1, 0, 0)) < 0 ||
        (r = raw(SYS_dup3, out, 2, 0, 0)) < 0) goto fail;
    /* Everything of the daemon's is close-on-exec as well; this also catches what is not. */
    raw(SYS_close_range, 3U, ~0U, 0U, 0);
    unsigned long none = 0;
    raw(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, sizeof none);
    r = exec_searching(c);
fail:
    c->error = r < 0 ? (int)-r : ENOEXEC;
    raw(SYS_exit, 127, 0, 0, 0);
    return 127;
}

int swiftvs_spawn_start(const char *args, size_t args_len, int argc, char *const envp[], const char *path_env,
                        int stdin_fd, int stdout_fd, pid_t *pid, int *pidfd, swiftvs_child **out) {
    if (argc < 1 || args_len == 0 || args[args_len - 1] != 0) return EINVAL;
    size_t envc = 0;
    while (envp && envp[envc]) envc++;
    size_t path_len = path_env ? strlen(path_env) + 1 : 0;
    size_t head = sizeof(struct swiftvs_child) + (size_t)(argc + 1 + envc + 1) * sizeof(char *);
    size_t stack_at = (head + args_len + path_len + 15) & ~(size_t)15;
    size_t size = stack_at + CHILD_STACK;
    struct swiftvs_child *c = block_get(size);
    if (!c) return ENOMEM;
    size = c->size;
    c->error = 0;
    c->stdin_fd = stdin_fd;
    c->stdout_fd = stdout_fd;
    c->argv = (char **)(c + 1);
    c->envp = c->argv + argc + 1;
    char *strings = (char *)(c->envp + envc + 1);
    memcpy(strings, args, args_len);
    char *s = strings;
    for (int i = 0; i < argc; i++) {
        if (s >= strings + args_len) { block_put(c); return EINVAL; }
        c->argv[i] = s;
        s += strlen(s) + 1;
    }
    c->argv[argc] = NULL;
    for (size_t i = 0; i < envc; i++) c->envp[i] = envp[i];
    c->envp[envc] = NULL;
    c->path = NULL;
    if (path_env) {
        memcpy(strings + args_len, path_env, path_len);
        c->path = strings + args_len;
    }
    char *stack_top = (char *)c + (size & ~(size_t)15);

    int flags = CLONE_VM | CLONE_PIDFD | SIGCHLD;
    if (!SPAWN_ASYNC) flags |= CLONE_VFORK;
    /* The child must never run one of this process's signal handlers on the shared memory:
     * everything is blocked (glibc's internal signals too) until it has reset them. */
    unsigned long all = ~0UL, old = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
    int fd = -1;
    clone_function do_clone = libc_clone();
    pid_t p = do_clone(child, stack_top, flags, c, &fd);
    if (p < 0 && errno == EINVAL) { /* kernel < 5.2: no CLONE_PIDFD */
        fd = -1;
        p = do_clone(child, stack_top, flags & ~CLONE_PIDFD, c);
    }
    int err = p < 0 ? errno : 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
    if (p < 0) {
        block_put(c);
        return err;
    }
    /* The group exists when this returns (a kill(-pid) right away reaches the child), whichever
     * of the two setpgid calls comes first; this one fails harmlessly (EACCES, ESRCH) when the
     * child has already exec'd or exited. */
    setpgid(p, p);
    *pid = p;
    *pidfd = fd;
    *out = c;
    return 0;
}

int swiftvs_child_release(swiftvs_child *c) {
    if (!c) return 0;
    int e = c->error;
    block_put(c);
    return e;
}

int swiftvs_disable_thp(void) {
    return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 ? 0 : errno;
}
