#define _GNU_SOURCE
#include "CLinux.h"

#include <errno.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// Weak: a C library without them still loads the binary (the fallbacks below run then).
extern int pidfd_open(pid_t pid, unsigned int flags) __attribute__((weak));
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from)
    __attribute__((weak));

int swiftvs_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int swiftvs_eventfd(unsigned int initval, int flags) { return eventfd(initval, flags); }

int swiftvs_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) { return accept4(fd, addr, len, flags); }

int swiftvs_pidfd_open(pid_t pid) {
    if (pidfd_open) return pidfd_open(pid, 0);
    return (int)syscall(434, (long)pid, 0L);
}

int swiftvs_epoll_create1(int flags) { return epoll_create1(flags); }

int swiftvs_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = {.events = events, .data = {.u64 = data}};
    return epoll_ctl(epfd, op, fd, op == EPOLL_CTL_DEL ? NULL : &ev);
}

size_t swiftvs_epoll_event_size(void) { return sizeof(struct epoll_event); }

int swiftvs_epoll_wait(int epfd, void *buffer, int capacity, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)buffer, capacity, timeout_ms);
}

int swiftvs_epoll_wait_ns(int epfd, void *buffer, int capacity, int64_t timeout_ns) {
    static int no_pwait2;  /* set once, when the kernel says ENOSYS; never reset */
    if (!__atomic_load_n(&no_pwait2, __ATOMIC_RELAXED)) {
        struct timespec ts = { (time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000) };
        int n = epoll_pwait2(epfd, (struct epoll_event *)buffer, capacity, timeout_ns < 0 ? NULL : &ts, NULL);
        if (n >= 0 || errno != ENOSYS) return n;
        __atomic_store_n(&no_pwait2, 1, __ATOMIC_RELAXED);
    }
    int64_t ms = timeout_ns < 0 ? -1 : (timeout_ns + 999999) / 1000000;
    return epoll_wait(epfd, (struct epoll_event *)buffer, capacity, ms > INT32_MAX ? INT32_MAX : (int)ms);
}

uint32_t swiftvs_epoll_event_events(const void *buffer, int index) {
    return ((const struct epoll_event *)buffer)[index].events;
}

uint64_t swiftvs_epoll_event_data(const void *buffer, int index) {
    return ((const struct epoll_event *)buffer)[index].data.u64;
}

int swiftvs_name_this_thread(const char *name) { return pthread_setname_np(pthread_self(), name); }

int swiftvs_realtime_this_thread(int priority) {
    struct sched_param param = { .sched_priority = priority };
    // pid 0: the calling thread (Linux schedules threads, not processes).
    return sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0 ? 0 : errno;
}

int swiftvs_mallopt(int param, int value) { return mallopt(param, value); }

int swiftvs_m_arena_max(void) { return M_ARENA_MAX; }

int swiftvs_m_mmap_threshold(void) { return M_MMAP_THRESHOLD; }

struct swiftvs_heap swiftvs_heap_figures(void) {
    struct mallinfo2 m = mallinfo2();
    return (struct swiftvs_heap){
        .held = m.arena + m.hblkhd, .in_use = m.uordblks + m.hblkhd,
        .mapped_blocks = m.hblks, .mapped_bytes = m.hblkhd,
    };
}

int swiftvs_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    if (!posix_spawn_file_actions_addclosefrom_np) return ENOSYS;
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

/* What a release will drop: the read-only segments of every loaded object, as page ranges, all
   read from the program headers before any is released (the headers lie in each object's first
   segment: reading the next one after releasing that segment mapped it whole again, 60 KB of
   libm's, 64 KB of libc's). More ranges than fit are released as they are found. */
enum { release_most = 128 };
struct release_plan {
    uintptr_t start[release_most], end[release_most];
    int count;
    long bytes;
    int error;
};

/* Whether an object was linked with text relocations: its "read-only" segments were then
   written by the dynamic loader, and dropping their pages would lose the relocations. */
static int has_text_relocations(const struct dl_phdr_info *info) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_DYNAMIC) continue;
        for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr); d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_TEXTREL || (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL))) return 1;
        }
    }
    return 0;
}

int swiftvs_is_vdso(const void *phdr) {
    uintptr_t vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
    if (vdso == 0) return 0;
    const ElfW(Ehdr) *ehdr = (const ElfW(Ehdr) *)vdso;
    return (uintptr_t)phdr == vdso + ehdr->e_phoff;
}

static int release_range(struct release_plan *plan, uintptr_t start, uintptr_t end) {
    if (madvise((void *)start, end - start, MADV_RANDOM) != 0
        || madvise((void *)start, end - start, MADV_DONTNEED) != 0) {
        plan->error = errno;
        return 1;
    }
    plan->bytes += (long)(end - start);
    return 0;
}

static int collect_segments(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct release_plan *plan = data;
    if (swiftvs_is_vdso(info->dlpi_phdr) || has_text_relocations(info)) return 0;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        /* Writable segments hold data and, once relocated, the RELRO pages (GOT, vtables):
           those pages are the process's own and must stay. */
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W)) continue;
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr + page - 1) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
        if (end <= start) continue;
        if (plan->count == release_most) {
            if (release_range(plan, start, end)) return 1;
            continue;
        }
        plan->start[plan->count] = start;
        plan->end[plan->count++] = end;
    }
    return 0;
}

long swiftvs_release_startup_code(void) {
    malloc_trim(0);
    struct release_plan plan = {.count = 0, .bytes = 0, .error = 0};
    dl_iterate_phdr(collect_segments, &plan);
    /* The range holding libc's madvise goes last: released earlier, each later call through the
       wrapper mapped its 64 KB of libc again. What runs after the last one (the wrapper's
       return, this function, its callers in the executable) is the code the daemon's layout
       keeps among what it runs anyway (Scripts/lib/swiftvs-release.order). */
    uintptr_t wrapper = (uintptr_t)&madvise;
    for (int last = 0; last < 2 && !plan.error; last++) {
        for (int k = 0; k < plan.count; k++) {
            int holds = plan.start[k] <= wrapper && wrapper < plan.end[k];
            if (holds == last && release_range(&plan, plan.start[k], plan.end[k])) break;
        }
    }
    return plan.error ? -plan.error : plan.bytes;
}

int swiftvs_enter_netns(int fd) { return setns(fd, CLONE_NEWNET); }
