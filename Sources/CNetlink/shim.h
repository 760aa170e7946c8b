#ifndef SWIFTVS_CNETLINK_SHIM_H
#define SWIFTVS_CNETLINK_SHIM_H

// libnl-3 and libnl-genl-3: socket lifetime, connect, family resolution.
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/version.h>

// Kernel UAPI headers, so tests can check that the Swift wire constants match the kernel's.
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

// Swift imports neither function-like macros nor macros built from other macros;
// these wrappers give them a typed, callable form.
static inline unsigned int swiftvs_nlmsg_align(unsigned int len) { return NLMSG_ALIGN(len); }
static inline unsigned int swiftvs_nlmsg_hdrlen(void) { return NLMSG_HDRLEN; }
static inline unsigned int swiftvs_genl_hdrlen(void) { return GENL_HDRLEN; }
static inline unsigned int swiftvs_nla_align(unsigned int len) { return NLA_ALIGN(len); }
static inline unsigned int swiftvs_nla_hdrlen(void) { return NLA_HDRLEN; }
static inline unsigned short swiftvs_nlm_f_dump(void) { return NLM_F_DUMP; }
static inline unsigned short swiftvs_nlm_f_request(void) { return NLM_F_REQUEST; }
static inline unsigned short swiftvs_nlm_f_ack(void) { return NLM_F_ACK; }
static inline unsigned int swiftvs_ip_vs_conn_f_fwd_mask(void) { return IP_VS_CONN_F_FWD_MASK; }
static inline unsigned int swiftvs_ip_vs_tunnel_encap_flag_nocsum(void) { return IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM; }
static inline unsigned int swiftvs_ip_vs_tunnel_encap_flag_csum(void) { return IP_VS_TUNNEL_ENCAP_FLAG_CSUM; }
static inline unsigned int swiftvs_ip_vs_tunnel_encap_flag_remcsum(void) { return IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM; }
static inline unsigned int swiftvs_ip_vs_svc_f_sched_sh_fallback(void) { return IP_VS_SVC_F_SCHED_SH_FALLBACK; }
static inline unsigned int swiftvs_ip_vs_svc_f_sched_sh_port(void) { return IP_VS_SVC_F_SCHED_SH_PORT; }

// setns(2) is only declared under _GNU_SOURCE, which the C library module is built without.
// The binding enters namespaces through NetworkNamespaces (CLinux's setns); this one is for the
// VRRP namespace tests' address sampler, which moves one thread there and back.
extern int setns(int fd, int nstype);
static inline int swiftvs_setns_net(int fd) { return setns(fd, 0x40000000 /* CLONE_NEWNET */); }

// recvmmsg(2) through syscall(2): struct mmsghdr and recvmmsg are GNU extensions, which the
// C library module is built without. Receives up to `count` (at most 8) datagrams of at most
// `size` bytes, buffer i at base + i * size: blocks for the first, then takes only what is
// already queued (MSG_WAITFORONE). lengths[i] is each datagram's full length (MSG_TRUNC), so
// a datagram larger than `size` shows as a length above it. Returns how many, or -1 (errno).
#include <sys/syscall.h>
#include <sys/uio.h>
#include <string.h>
struct swiftvs_mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
static inline int swiftvs_recv_many(int fd, unsigned char *base, size_t size, unsigned int count, size_t *lengths) {
    struct swiftvs_mmsghdr vec[8];
    struct iovec iov[8];
    if (count > 8) count = 8;
    memset(vec, 0, sizeof vec);
    for (unsigned int i = 0; i < count; i++) {
        iov[i].iov_base = base + (size_t)i * size;
        iov[i].iov_len = size;
        vec[i].msg_hdr.msg_iov = &iov[i];
        vec[i].msg_hdr.msg_iovlen = 1;
    }
    long n = syscall(SYS_recvmmsg, fd, vec, count, 0x10000 /* MSG_WAITFORONE */ | MSG_TRUNC, (void *)0);
    for (long i = 0; i < n; i++) {
        lengths[i] = vec[i].msg_len;
        if ((vec[i].msg_hdr.msg_flags & MSG_TRUNC) && lengths[i] <= size) lengths[i] = size + 1;
    }
    return (int)n;
}

// The libnl-3 the process runs with (its exported nl_ver_* constants, read from the loaded
// library) and the one it was built against (LIBNL_VER_* of the headers).
static inline int swiftvs_nl_runtime_major(void) { return nl_ver_maj; }
static inline int swiftvs_nl_runtime_minor(void) { return nl_ver_min; }
static inline int swiftvs_nl_runtime_micro(void) { return nl_ver_mic; }
static inline int swiftvs_nl_build_major(void) { return LIBNL_VER_MAJ; }
static inline int swiftvs_nl_build_minor(void) { return LIBNL_VER_MIN; }
static inline int swiftvs_nl_build_micro(void) { return LIBNL_VER_MIC; }

#endif
