#ifndef SWIFTVS_CSPAWN_H
#define SWIFTVS_CSPAWN_H

#include <sys/types.h>

/// Starts argv[0] (looked up in `path_env`, like execvp, when it has no '/') as a child in a
/// process group of its own, with every signal at its default disposition and none blocked,
/// stdin on `stdin_fd`, stdout and stderr on `stdout_fd`, and no other descriptor open.
///
/// The child is a clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) running on a stack in this
/// function's own frame until it execs: unlike glibc's posix_spawn there is no stack to mmap
/// and munmap per child (an munmap in a multi-threaded process is a TLB shootdown on every
/// CPU), and the pidfd comes with the clone. `*pidfd` is -1 on kernels without CLONE_PIDFD.
///
/// Returns 0 and sets `*pid`, or an errno: of clone, or of the child's setup or exec, which
/// the child reports through the shared memory before it exits (it is reaped here then).
int swiftvs_spawn(char *const argv[], char *const envp[], const char *path_env,
                  int stdin_fd, int stdout_fd, pid_t *pid, int *pidfd);

#endif
