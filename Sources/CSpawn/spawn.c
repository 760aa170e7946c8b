#define _GNU_SOURCE
#include "CSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

struct spawn_args {
    char *const *argv;
    char *const *envp;
    const char *path_env;
    int stdin_fd;
    int stdout_fd;
    volatile int error;
};

/* The kernel's struct sigaction (rt_sigaction), so that glibc's internal signals (32, 33),
 * which its sigaction() refuses, are reset too. */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

static int put_fd(int from, int to) {
    if (from == to) { /* keep it, but not close-on-exec */
        int flags = fcntl(to, F_GETFD);
        return flags < 0 ? -1 : fcntl(to, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(from, to) < 0 ? -1 : 0;
}

/* execvp without malloc (this runs in the parent's memory). */
static void exec_searching(struct spawn_args *a) {
    const char *file = a->argv[0];
    if (strchr(file, '/')) {
        execve(file, a->argv, a->envp);
        return;
    }
    const char *p = a->path_env ? a->path_env : "/bin:/usr/bin";
    size_t flen = strlen(file);
    char buf[4096];
    int denied = 0;
    for (;;) {
        const char *end = strchrnul(p, ':');
        size_t dlen = (size_t)(end - p);
        if (dlen + flen + 2 <= sizeof buf) {
            size_t at = 0;
            if (dlen) { memcpy(buf, p, dlen); buf[dlen] = '/'; at = dlen + 1; }
            memcpy(buf + at, file, flen + 1);
            execve(buf, a->argv, a->envp);
            switch (errno) {
            case EACCES: denied = 1; break;
            case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT: break;
            default: return;
            }
        }
        if (!*end) break;
        p = end + 1;
    }
    errno = denied ? EACCES : ENOENT;
}

static int child(void *arg) {
    struct spawn_args *a = arg;
    struct kernel_sigaction dfl = { SIG_DFL, 0, 0, 0 };
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    }
    if (setpgid(0, 0) != 0) goto fail;
    /* A descriptor below 3 would be overwritten by the dup2s before it is used. */
    int in = a->stdin_fd < 3 ? fcntl(a->stdin_fd, F_DUPFD, 3) : a->stdin_fd;
    int out = a->stdout_fd < 3 ? fcntl(a->stdout_fd, F_DUPFD, 3) : a->stdout_fd;
    if (in < 0 || out < 0) goto fail;
    if (put_fd(in, 0) != 0 || put_fd(out, 1) != 0 || put_fd(out, 2) != 0) goto fail;
    /* Everything of the daemon's is close-on-exec as well; this also catches what is not. */
    syscall(SYS_close_range, 3U, ~0U, 0U);
    unsigned long none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
    exec_searching(a);
fail:
    a->error = errno ? errno : ENOEXEC;
    _exit(127);
}

int swiftvs_spawn(char *const argv[], char *const envp[], const char *path_env,
                  int stdin_fd, int stdout_fd, pid_t *pid, int *pidfd) {
    struct spawn_args a = { argv, envp, path_env, stdin_fd, stdout_fd, 0 };
    /* The child must never run one of this process's signal handlers on the shared memory:
     * everything is blocked (glibc's internal signals too) until it has reset them. */
    unsigned long all = ~0UL, old = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
    /* The parent thread is suspended until the child has exec'd or exited (CLONE_VFORK), so
     * the child may use this buffer as its stack. */
    char stack[16384] __attribute__((aligned(16)));
    int fd = -1;
    pid_t p = clone(child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &a, &fd);
    if (p < 0 && errno == EINVAL) { /* kernel < 5.2: no CLONE_PIDFD */
        fd = -1;
        p = clone(child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    }
    int err = p < 0 ? errno : 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
    if (p < 0) return err;
    if (a.error) {
        int status;
        while (waitpid(p, &status, 0) < 0 && errno == EINTR) {}
        if (fd >= 0) close(fd);
        return a.error;
    }
    *pid = p;
    *pidfd = fd;
    return 0;
}
