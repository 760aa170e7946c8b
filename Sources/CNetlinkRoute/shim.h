#ifndef SWIFTVS_CNETLINKROUTE_SHIM_H
#define SWIFTVS_CNETLINKROUTE_SHIM_H

// libnl-3 / libnl-route-3: the long-lived rtnetlink socket, address add and delete.
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/addr.h>
#include <netlink/route/rtnl.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

// Kernel UAPI headers: rtnetlink messages and groups, packet sockets, Ethernet types.
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/if_arp.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

// Swift imports neither function-like macros nor macros built from other macros;
// these wrappers give them a typed, callable form.
static inline unsigned int swiftvs_rt_nlmsg_hdrlen(void) { return NLMSG_HDRLEN; }
static inline unsigned int swiftvs_rt_nlmsg_align(unsigned int len) { return NLMSG_ALIGN(len); }
static inline unsigned int swiftvs_rta_align(unsigned int len) { return RTA_ALIGN(len); }
static inline unsigned int swiftvs_rtmgrp_link(void) { return RTNLGRP_LINK; }
static inline unsigned int swiftvs_rtmgrp_ipv4_ifaddr(void) { return RTNLGRP_IPV4_IFADDR; }
static inline unsigned int swiftvs_rtmgrp_ipv6_ifaddr(void) { return RTNLGRP_IPV6_IFADDR; }
static inline int swiftvs_nlm_f_create(void) { return NLM_F_CREATE; }
static inline int swiftvs_nlm_f_excl(void) { return NLM_F_EXCL; }
static inline unsigned short swiftvs_eth_p_arp(void) { return ETH_P_ARP; }
static inline unsigned short swiftvs_eth_p_ipv6(void) { return ETH_P_IPV6; }
static inline int swiftvs_sol_netlink(void) { return SOL_NETLINK; }

// struct in6_pktinfo is only declared under _GNU_SOURCE; this is the kernel's layout.
struct swiftvs_in6_pktinfo { struct in6_addr addr; int ifindex; };

// What one VRRP receive learnt besides the bytes: the addresses (4 or 16 bytes used, per
// family), the arriving interface, and the hop limit (IPv6 only: IPv4's TTL is in the header
// the raw socket returns).
struct swiftvs_recv_info {
    unsigned char source[16];
    unsigned char destination[16];
    int ifindex;
    int hoplimit;        // -1 when no IPV6_HOPLIMIT control message came
    int have_pktinfo;    // 1 when IP_PKTINFO / IPV6_PKTINFO came
    int truncated;       // 1 when the datagram was larger than the buffer
};

// IP_PKTINFO / IPV6_PKTINFO: the datagram's destination address (4 or 16 bytes) and the
// interface it arrived on.
static inline void swiftvs_take_pktinfo(struct swiftvs_recv_info *info, const void *destination,
                                        size_t length, int ifindex) {
    memcpy(info->destination, destination, length);
    info->ifindex = ifindex;
    info->have_pktinfo = 1;
}

// recvmsg(2) on a raw IPv4 or IPv6 socket with the control messages walked (CMSG_* are macros).
// Returns the byte count or -1 with errno (EAGAIN when nothing is queued on a non-blocking socket).
static inline long swiftvs_recv_with_info(int fd, int family, unsigned char *buf, size_t len,
                                          struct swiftvs_recv_info *info) {
    union { struct sockaddr_in v4; struct sockaddr_in6 v6; } from;
    unsigned char control[256];
    struct iovec iov = { buf, len };
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    memset(info, 0, sizeof *info);
    info->hoplimit = -1;
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    long n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) return n;
    if (msg.msg_flags & MSG_TRUNC) info->truncated = 1;
    if (family == AF_INET) memcpy(info->source, &from.v4.sin_addr, 4);
    else memcpy(info->source, &from.v6.sin6_addr, 16);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            swiftvs_take_pktinfo(info, &pi.ipi_addr, sizeof pi.ipi_addr, pi.ipi_ifindex);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct swiftvs_in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            swiftvs_take_pktinfo(info, &pi.addr, sizeof pi.addr, pi.ifindex);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
            int h;
            memcpy(&h, CMSG_DATA(c), sizeof h);
            info->hoplimit = h;
        }
    }
    return n;
}

// What the kernel said about the last failed request on a libnl socket: its errno (positive)
// and, with NETLINK_EXT_ACK, its extended-ack message. libnl returns only its own error codes,
// which merge several errnos, so this callback keeps the kernel's own.
struct swiftvs_nl_error {
    int error;
    char message[256];
};

static inline int swiftvs_nl_error_callback(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg) {
    (void)who;
    struct swiftvs_nl_error *slot = (struct swiftvs_nl_error *)arg;
    slot->error = -e->error;
    slot->message[0] = 0;
    struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
    if (hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
        size_t offset = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
        if (!(hdr->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len > NLMSG_HDRLEN)
            offset += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
        while (offset + sizeof(struct nlattr) <= hdr->nlmsg_len) {
            struct nlattr *a = (struct nlattr *)((char *)hdr + offset);
            if (a->nla_len < sizeof(struct nlattr) || offset + a->nla_len > hdr->nlmsg_len) break;
            if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
                size_t n = a->nla_len - sizeof(struct nlattr);
                if (n >= sizeof slot->message) n = sizeof slot->message - 1;
                memcpy(slot->message, (char *)a + sizeof(struct nlattr), n);
                slot->message[n] = 0;
                break;
            }
            offset += NLA_ALIGN(a->nla_len);
        }
    }
    return NL_STOP;
}

/// Routes the socket's error replies through swiftvs_nl_error_callback into `slot`.
static inline int swiftvs_nl_capture_errors(struct nl_sock *sock, struct swiftvs_nl_error *slot) {
    return nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, swiftvs_nl_error_callback, slot);
}

// A classic BPF program that accepts nothing: the send sockets never queue a packet
// (keepalived's if_setsockopt_no_receive).
#include <linux/filter.h>
static inline int swiftvs_attach_drop_all_filter(int fd) {
    struct sock_filter code[1] = { { BPF_RET | BPF_K, 0, 0, 0 } };
    struct sock_fprog prog = { 1, code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

// sendmsg(2) of an IPv6 datagram to `destination` (scope id `scope` for link-local and
// link-scope multicast), with an IPV6_PKTINFO control message choosing the source address
// and the interface when `source` is given (keepalived's vrrp_build_ancillary_data).
static inline long swiftvs_send_v6(int fd, const unsigned char *buf, size_t len,
                                   const unsigned char *destination, unsigned int scope,
                                   const unsigned char *source, int ifindex) {
    struct sockaddr_in6 to;
    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    memcpy(&to.sin6_addr, destination, 16);
    to.sin6_scope_id = scope;
    struct iovec iov = { (void *)buf, len };
    union { struct cmsghdr align; unsigned char bytes[CMSG_SPACE(sizeof(struct swiftvs_in6_pktinfo))]; } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    memset(&control, 0, sizeof control);
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (source != NULL) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = sizeof control.bytes;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct swiftvs_in6_pktinfo));
        struct swiftvs_in6_pktinfo pi;
        memcpy(&pi.addr, source, 16);
        pi.ifindex = ifindex;
        memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
    return sendmsg(fd, &msg, MSG_DONTWAIT);
}

// Up to this many datagrams per sendmmsg(2) call of swiftvs_send_batch (the mmsghdr arrays live
// on the stack).
#define SWIFTVS_SEND_BATCH_MAX 32

// struct mmsghdr and sendmmsg are only declared under _GNU_SOURCE; this is the kernel's layout,
// and the call goes through syscall(2).
#include <sys/syscall.h>
struct swiftvs_mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };

// One datagram of a swiftvs_send_batch call: `length` bytes at the batch's data + `offset`, to
// `destination` (4 bytes used for AF_INET), with the interface as its scope id where
// `needs_scope`; for AF_INET6 from `source` (IPV6_PKTINFO) when `has_source`.
struct swiftvs_send_item {
    unsigned int offset;
    unsigned int length;
    unsigned char needs_scope;
    unsigned char has_source;
    unsigned char destination[16];
    unsigned char source[16];
};

// sendmmsg(2) of `count` (at most SWIFTVS_SEND_BATCH_MAX) datagrams of `items` in one call, the
// interface `ifindex` being the scope and IPV6_PKTINFO interface (as swiftvs_send_v6).
// `sent[i]` receives the bytes the kernel took for each datagram it accepted. Returns how many
// were sent (the first ones), or -1 with errno when the first could not be.
static inline int swiftvs_send_batch(int fd, int family, const unsigned char *data,
                                     const struct swiftvs_send_item *items, int ifindex,
                                     unsigned int count, unsigned int *sent) {
    if (count > SWIFTVS_SEND_BATCH_MAX) count = SWIFTVS_SEND_BATCH_MAX;
    struct swiftvs_mmsghdr msgs[SWIFTVS_SEND_BATCH_MAX];
    struct iovec iovs[SWIFTVS_SEND_BATCH_MAX];
    union { struct sockaddr_in v4; struct sockaddr_in6 v6; } to[SWIFTVS_SEND_BATCH_MAX];
    union { struct cmsghdr align; unsigned char bytes[CMSG_SPACE(sizeof(struct swiftvs_in6_pktinfo))]; }
        control[SWIFTVS_SEND_BATCH_MAX];
    memset(msgs, 0, count * sizeof msgs[0]);
    memset(to, 0, count * sizeof to[0]);
    for (unsigned int i = 0; i < count; i++) {
        const struct swiftvs_send_item *item = &items[i];
        iovs[i].iov_base = (void *)(data + item->offset);
        iovs[i].iov_len = item->length;
        struct msghdr *m = &msgs[i].msg_hdr;
        m->msg_iov = &iovs[i];
        m->msg_iovlen = 1;
        m->msg_name = &to[i];
        if (family == AF_INET) {
            to[i].v4.sin_family = AF_INET;
            memcpy(&to[i].v4.sin_addr, item->destination, 4);
            m->msg_namelen = sizeof to[i].v4;
        } else {
            to[i].v6.sin6_family = AF_INET6;
            memcpy(&to[i].v6.sin6_addr, item->destination, 16);
            to[i].v6.sin6_scope_id = item->needs_scope ? (unsigned int)ifindex : 0;
            m->msg_namelen = sizeof to[i].v6;
            if (item->has_source) {
                memset(&control[i], 0, sizeof control[i]);
                m->msg_control = control[i].bytes;
                m->msg_controllen = sizeof control[i].bytes;
                struct cmsghdr *c = CMSG_FIRSTHDR(m);
                c->cmsg_level = IPPROTO_IPV6;
                c->cmsg_type = IPV6_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(struct swiftvs_in6_pktinfo));
                struct swiftvs_in6_pktinfo pi;
                memcpy(&pi.addr, item->source, 16);
                pi.ifindex = ifindex;
                memcpy(CMSG_DATA(c), &pi, sizeof pi);
            }
        }
    }
    int n = (int)syscall(SYS_sendmmsg, fd, msgs, count, MSG_DONTWAIT);
    for (int i = 0; i < n; i++) sent[i] = msgs[i].msg_len;
    return n;
}

#endif
