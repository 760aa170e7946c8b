#include "CLinux.h"

// The process's arguments as glibc hands them to every ELF constructor (argc, argv, envp: a
// glibc extension, in static and dynamic programs alike), kept for `swiftvs_arguments`. The
// Swift runtime's own `CommandLine` reads them back from /proc/self/cmdline on Linux (fopen,
// getdelim, a std::vector and a strdup per argument): stdio, the C++ allocator and the
// runtime's code, pages `swiftvs list -c` would touch for nothing (docs/benchmarks.md, the
// connection table). Written once, before main; read only after.
static int saved_argc;
static char **saved_argv;

__attribute__((constructor)) static void swiftvs_save_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

char **swiftvs_arguments(int *argc) {
    *argc = saved_argc;
    return saved_argv;
}
