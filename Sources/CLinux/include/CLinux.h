#ifndef SWIFTVS_CLINUX_H
#define SWIFTVS_CLINUX_H

// The one place swiftvs reaches libc and Linux calls that Swift's Glibc module does not export
// (they sit behind _GNU_SOURCE, or in headers outside its module map), plus the spawn helper
// whose child function cannot be written in Swift. This header only declares, with types the
// Glibc module knows: the definitions are in system.c and spawn.c, compiled with _GNU_SOURCE.
// (Defining _GNU_SOURCE here would change libc's own structs, fd_set for one, in this module
// and make them clash with Glibc's.) No global state but the argument vector (arguments.c).

#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

// MARK: - Spawn (spawn.c)

/// A started child's spawn state (its stack and its copy of the arguments), owned by the caller
/// until `swiftvs_child_release`.
typedef struct swiftvs_child swiftvs_child;

/// Starts a program as a child in a process group of its own, with every signal at its default
/// disposition and none blocked, stdin on `stdin_fd`, stdout and stderr on `stdout_fd`, and no
/// other descriptor open.
///
/// `args` holds `argc` NUL-terminated strings back to back (`args_len` bytes in all); the first
/// is the program, looked up in `path_env` like execvp when it has no '/'. `envp` is copied.
///
/// On x86-64 and aarch64 the child is a clone(CLONE_VM | CLONE_PIDFD) *without* CLONE_VFORK:
/// it runs on a small stack in the returned block, in this process's memory, until it execs,
/// while the caller goes on at once (an event loop never waits for a child's exec, whose path
/// walk and ELF reads can take milliseconds). The child uses raw system calls only, so it never
/// writes errno (which is the calling thread's, as the child shares its TLS), and no signal
/// handler of this process can run in it: every signal stays blocked until it has reset all of
/// them to SIG_DFL. There is no per-child stack mmap/munmap either (glibc's posix_spawn maps
/// one, and an munmap in a multi-threaded process is a TLB shootdown on every CPU). The process
/// group is set by both sides, so it exists when this returns. An execve that fails with ETXTBSY
/// (a script whose writer's descriptor another child still holds until its own exec) is tried
/// again a few times. Elsewhere the child is a CLONE_VFORK one (the caller waits for the exec).
///
/// Returns 0 and sets `*pid`, `*pidfd` (-1 on kernels without CLONE_PIDFD) and `*child`, or the
/// errno of the clone. A failure of the child's own setup or exec is not known here: the child
/// then exits with status 127, and `swiftvs_child_release` tells why.
int swiftvs_spawn_start(const char *args, size_t args_len, int argc, char *const envp[], const char *path_env,
                        int stdin_fd, int stdout_fd, pid_t *pid, int *pidfd, swiftvs_child **child);

/// Once the child has been reaped: 0 when it exec'd, else the errno its setup or exec failed
/// with. Frees `child`.
int swiftvs_child_release(swiftvs_child *child);

/// Transparent huge pages off for this process and what it execs (prctl PR_SET_THP_DISABLE):
/// 0, or the errno (EINVAL before Linux 3.15).
int swiftvs_disable_thp(void);

/// setns(fd, CLONE_NEWNET): moves the calling thread into the network namespace `fd` refers to.
/// 0, or -1 with errno set.
int swiftvs_enter_netns(int fd);

// MARK: - Descriptors (system.c)

/// pipe2(2): `fds[0]` the read end, `fds[1]` the write end, `flags` O_CLOEXEC / O_NONBLOCK.
int swiftvs_pipe2(int fds[2], int flags);

/// eventfd(2) with EFD_CLOEXEC / EFD_NONBLOCK flags (equal to O_CLOEXEC / O_NONBLOCK).
int swiftvs_eventfd(unsigned int initval, int flags);

/// accept4(2); `flags` SOCK_CLOEXEC / SOCK_NONBLOCK.
int swiftvs_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// pidfd_open(2) for a process that is not our child: glibc's wrapper where it has one (2.36),
/// else the raw system call (434 on every architecture).
int swiftvs_pidfd_open(pid_t pid);

// MARK: - epoll (system.c)

/// epoll_create1(2); `flags` EPOLL_CLOEXEC (equal to O_CLOEXEC) or 0.
int swiftvs_epoll_create1(int flags);

/// epoll_ctl(2) with the event built in C (struct epoll_event is packed on x86-64 only, so its
/// layout stays C's business): `data` comes back from epoll_wait as it is. No event for DEL.
int swiftvs_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);

/// The size of one `struct epoll_event`, for a buffer of `swiftvs_epoll_wait`.
size_t swiftvs_epoll_event_size(void);

/// epoll_wait(2) into `buffer`, which holds `capacity` events of `swiftvs_epoll_event_size()`
/// bytes each.
int swiftvs_epoll_wait(int epfd, void *buffer, int capacity, int timeout_ms);

/// epoll_pwait2(2) (Linux 5.11, glibc 2.35) with a timeout in nanoseconds, negative for none;
/// where the kernel lacks it (ENOSYS), epoll_wait with the timeout rounded up to milliseconds.
int swiftvs_epoll_wait_ns(int epfd, void *buffer, int capacity, int64_t timeout_ns);

/// The events of the `index`th entry of an epoll_wait buffer.
uint32_t swiftvs_epoll_event_events(const void *buffer, int index);

/// The data of the `index`th entry of an epoll_wait buffer.
uint64_t swiftvs_epoll_event_data(const void *buffer, int index);

// MARK: - Threads, memory, spawn attributes (system.c)

/// pthread_setname_np(3) for the calling thread (15 bytes at most): 0 or the error number.
int swiftvs_name_this_thread(const char *name);

/// Makes the calling thread SCHED_RR at `priority`, with SCHED_RESET_ON_FORK (the threads and
/// processes it clones start as ordinary SCHED_OTHER ones). 0 on success, else the errno.
int swiftvs_realtime_this_thread(int priority);

/// mallopt(3): 1 on success, 0 on error.
int swiftvs_mallopt(int param, int value);

/// M_ARENA_MAX, the `param` of `swiftvs_mallopt` that bounds malloc's arenas.
int swiftvs_m_arena_max(void);

/// M_MMAP_THRESHOLD, the `param` of `swiftvs_mallopt` from which size on an allocation is a
/// mapping of its own (given back to the system when freed).
int swiftvs_m_mmap_threshold(void);

/// What malloc holds, from mallinfo2(3): the bytes it holds from the system (heap and mappings),
/// of those the bytes in use, and the blocks that are mappings of their own with their bytes.
struct swiftvs_heap {
    size_t held;
    size_t in_use;
    size_t mapped_blocks;
    size_t mapped_bytes;
};

/// The heap's figures now (the daemon's memory tests read them).
struct swiftvs_heap swiftvs_heap_figures(void);

/// posix_spawn_file_actions_addclosefrom_np(3) (glibc 2.34): 0, the error number, or ENOSYS
/// where the C library does not have it (it is linked weakly, so the binary still loads there).
int swiftvs_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// Unmaps from this process the pages of the read-only segments (code and constant data:
/// never written, so they come back from the page cache as they are when touched again) of
/// the executable and of every shared library loaded (libc, libm, libnl, the dynamic loader),
/// after asking the kernel for no read-ahead there (MADV_RANDOM), and first gives malloc's free
/// pages back (malloc_trim). Not the vDSO, nor an object linked with text relocations. Called
/// once a daemon has started, it drops the start-up code (and the libraries' IFUNC resolvers
/// and relocation work) and whatever the kernel mapped around it; what the daemon runs
/// afterwards is mapped again as it is used. Every range is found before any is released, and
/// libc's code (where madvise is) goes last, so the release itself maps little back. Returns
/// the bytes released from the page tables' reach (0 when no segment was found), or -errno.
long swiftvs_release_startup_code(void);

/// Whether the program headers at `phdr` (a `dl_phdr_info`'s `dlpi_phdr`) are the kernel's
/// vDSO's, which `swiftvs_release_startup_code` leaves alone (a special mapping, not a file):
/// the ones its ELF header, at AT_SYSINFO_EHDR, points to. (Not "within 64 KB of it": the
/// dynamic loader is often mapped right after the vDSO's two pages, and was taken for it.)
int swiftvs_is_vdso(const void *phdr);

// MARK: - Arguments (arguments.c)

/// The process's argument vector as the C library gave it to the program's constructors (argc
/// in `*argc`), or NULL where the C library passes constructors no arguments (musl): then use
/// Swift's `CommandLine`. The one piece of process state this shim keeps, written once before
/// `main` (see arguments.c for why).
char **swiftvs_arguments(int *argc);

#endif
