// Netlink and generic-netlink framing, in plain Swift so every byte is testable.
// Multi-byte header fields and most attributes are in host (native) byte order, as netlink
// defines them; ports and IPv4 masks are the exceptions, encoded big-endian on purpose.

enum NetlinkConstants {
    static let headerLength = 16          // struct nlmsghdr
    static let genlHeaderLength = 4       // struct genlmsghdr
    static let attributeHeaderLength = 4  // struct nlattr

    // nlmsg_type values
    static let noop: UInt16 = 1
    static let error: UInt16 = 2
    static let done: UInt16 = 3
    static let overrun: UInt16 = 4

    // nlmsg_flags
    static let request: UInt16 = 0x01
    static let multi: UInt16 = 0x02
    static let ack: UInt16 = 0x04
    static let dump: UInt16 = 0x300      // NLM_F_ROOT | NLM_F_MATCH
    static let capped: UInt16 = 0x100    // NLM_F_CAPPED, in error messages
    static let ackTLVs: UInt16 = 0x200   // NLM_F_ACK_TLVS, in error messages

    // nla_type bits
    static let nested: UInt16 = 0x8000
    static let netByteOrder: UInt16 = 0x4000
    static let typeMask: UInt16 = 0x3FFF

    // struct nlmsgerr TLVs (extended ack)
    static let extAckMessage: UInt16 = 1
    static let extAckOffset: UInt16 = 2

    // socket options at SOL_NETLINK
    static let solNetlink: Int32 = 270
    static let capAck: Int32 = 10
    static let extAck: Int32 = 11
}

@inline(__always)
func align4(_ n: Int) -> Int { (n + 3) & ~3 }
