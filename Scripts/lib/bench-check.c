/* Scripts/lib/bench-check.c — the MISC_CHECK program of Scripts/bench's checks case.
 * Appends its second argument and a newline (one write, O_APPEND: concurrent checks never lose
 * or interleave a count) to the file named by its first argument and exits 0: the number of
 * lines is the number of checks that really ran, and each line says which real server's. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 0;
    char line[256];
    const char *id = argc > 2 ? argv[2] : "?";
    size_t n = strlen(id);
    if (n > sizeof line - 2) n = sizeof line - 2;
    memcpy(line, id, n);
    line[n++] = '\n';
    int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return 1;
    if (write(fd, line, n) != (ssize_t)n) return 1;
    return close(fd) == 0 ? 0 : 1;
}
