/* Scripts/lib/close-tracer.c — finds descriptors closed twice in a test process.
 *
 *   cc -shared -fPIC -O1 -o /tmp/close-tracer.so Scripts/lib/close-tracer.c -ldl -lpthread
 *   LD_PRELOAD=/tmp/close-tracer.so .build/debug/swiftvsPackageTests.xctest \
 *       --testing-library swift-testing --filter 'HealthCheckTests|DirectorTests' 2>trace
 *
 * A close() that fails with EBADF is printed to stderr with its stack and with the stack of the
 * last successful close of the same number: when an owner closes a descriptor twice and the
 * number was given to someone else in between, the victim's own close fails later, and the
 * previous close printed is the stray one. (The children the tests run inherit the preload:
 * a child whose own close fails prints into its output, so tests that compare a child's
 * output byte for byte fail under the tracer; that is the tracer, not the code.)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAXFD 4096
#define DEPTH 24
static int (*real_close)(int);
static void *last[MAXFD][DEPTH];
static int last_depth[MAXFD];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int close(int fd) {
    if (!real_close) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    void *stack[DEPTH];
    int depth = backtrace(stack, DEPTH);
    pthread_mutex_lock(&lock);
    int r = real_close(fd);
    int e = errno;
    if (r == 0 && fd >= 0 && fd < MAXFD) {
        memcpy(last[fd], stack, sizeof stack);
        last_depth[fd] = depth;
    } else if (r < 0 && e == EBADF) {
        char head[96];
        int n = snprintf(head, sizeof head, "\n=== close(%d): EBADF in pid %d ===\n", fd, getpid());
        write(2, head, (size_t)n);
        backtrace_symbols_fd(stack, depth, 2);
        if (fd >= 0 && fd < MAXFD && last_depth[fd] > 0) {
            static const char prev[] = "--- the last successful close of that number:\n";
            write(2, prev, sizeof prev - 1);
            backtrace_symbols_fd(last[fd], last_depth[fd], 2);
        }
    }
    pthread_mutex_unlock(&lock);
    errno = e;
    return r;
}
