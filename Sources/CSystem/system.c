#define _GNU_SOURCE
#include "CSystem.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
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

uint32_t swiftvs_epoll_event_events(const void *buffer, int index) {
    return ((const struct epoll_event *)buffer)[index].events;
}

uint64_t swiftvs_epoll_event_data(const void *buffer, int index) {
    return ((const struct epoll_event *)buffer)[index].data.u64;
}

int swiftvs_name_this_thread(const char *name) { return pthread_setname_np(pthread_self(), name); }

int swiftvs_mallopt(int param, int value) { return mallopt(param, value); }

int swiftvs_m_arena_max(void) { return M_ARENA_MAX; }

int swiftvs_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    if (!posix_spawn_file_actions_addclosefrom_np) return ENOSYS;
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int swiftvs_enter_netns(int fd) { return setns(fd, CLONE_NEWNET); }
