/* bench-conn — makes N IPVS connection entries for the `conn` case of Scripts/bench.
 *
 *   bench-conn VIP PORT N
 *
 * Sends N UDP datagrams to VIP:PORT from a raw socket (IP_HDRINCL), each from its own
 * source address and port (203.0.113.1-254, ports from 1024 up), in batches of sendmmsg.
 * Locally sent packets meet IPVS at LOCAL_OUT, so in the bench namespace every datagram
 * becomes one UDP connection entry (the real server is on the dummy interface; the
 * forwarded datagram goes nowhere). Real entries, made by the kernel's own code path, in a
 * second or so where a socket per flow would take a minute in the VM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 256

struct packet {
    struct iphdr ip;
    struct udphdr udp;
    char payload[8];
};

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench-conn VIP PORT N\n");
        return 2;
    }
    struct in_addr vip;
    if (inet_pton(AF_INET, argv[1], &vip) != 1) {
        fprintf(stderr, "bench-conn: bad address %s\n", argv[1]);
        return 2;
    }
    int port = atoi(argv[2]);
    long n = atol(argv[3]);
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        perror("bench-conn: socket");
        return 1;
    }
    static struct packet packets[BATCH];
    static struct iovec iov[BATCH];
    static struct mmsghdr msgs[BATCH];
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = vip };
    long sent = 0;
    while (sent < n) {
        int k = 0;
        for (; k < BATCH && sent + k < n; k++) {
            long i = sent + k;
            struct packet *p = &packets[k];
            memset(p, 0, sizeof *p);
            p->ip.version = 4;
            p->ip.ihl = 5;
            p->ip.ttl = 64;
            p->ip.protocol = IPPROTO_UDP;
            p->ip.tot_len = htons(sizeof *p);
            /* 203.0.113.(1 + i % 254), port 1024 + i / 254: every (address, port) distinct. */
            p->ip.saddr = htonl((203u << 24) | (0u << 16) | (113u << 8) | (unsigned)(1 + i % 254));
            p->ip.daddr = vip.s_addr;
            p->udp.source = htons((unsigned short)(1024 + i / 254));
            p->udp.dest = htons((unsigned short)port);
            p->udp.len = htons(sizeof p->udp + sizeof p->payload);
            p->udp.check = 0; /* no checksum: allowed for UDP over IPv4 */
            memcpy(p->payload, "swiftvs", 8);
            iov[k].iov_base = p;
            iov[k].iov_len = sizeof *p;
            memset(&msgs[k], 0, sizeof msgs[k]);
            msgs[k].msg_hdr.msg_name = &to;
            msgs[k].msg_hdr.msg_namelen = sizeof to;
            msgs[k].msg_hdr.msg_iov = &iov[k];
            msgs[k].msg_hdr.msg_iovlen = 1;
        }
        int done = sendmmsg(fd, msgs, k, 0);
        if (done < 0) {
            perror("bench-conn: sendmmsg");
            return 1;
        }
        sent += done;
    }
    close(fd);
    return 0;
}
