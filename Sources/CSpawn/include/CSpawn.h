#ifndef SWIFTVS_CSPAWN_H
#define SWIFTVS_CSPAWN_H

#include <stddef.h>
#include <sys/types.h>

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

#endif
