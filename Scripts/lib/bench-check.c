/* Scripts/lib/bench-check.c — the MISC_CHECK program of Scripts/bench's checks case.
 * Appends one byte to the file named by its first argument (O_APPEND: concurrent checks
 * never lose a count) and exits 0, so the number of checks that really ran is the file's size. */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 0;
    int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return 1;
    if (write(fd, "x", 1) != 1) return 1;
    return close(fd) == 0 ? 0 : 1;
}
