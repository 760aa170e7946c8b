import CNetlink
@testable import IPVS

/// Builds IPVS requests with libnl's own message API, attribute by attribute in the order
/// ipvsadm's libipvs puts them: an encoder independent of the one under test.
struct LibnlReference {
    let family: Int32 = 0x1c
    let port: UInt32 = 0x4321
    let sequence: UInt32 = 7

    private let msg: OpaquePointer

    init(command: UInt8, flags: Int32) {
        msg = nlmsg_alloc()!
        _ = genlmsg_put(msg, port, sequence, family, 0, flags, command, 1)
    }

    func nest(_ type: UInt16, _ body: () -> Void) {
        let start = nla_nest_start(msg, Int32(type) | NLA_F_NESTED)
        body()
        _ = nla_nest_end(msg, start)
    }

    func u8(_ type: UInt16, _ v: UInt8) { _ = nla_put_u8(msg, Int32(type), v) }
    func u16(_ type: UInt16, _ v: UInt16) { _ = nla_put_u16(msg, Int32(type), v) }
    func u32(_ type: UInt16, _ v: UInt32) { _ = nla_put_u32(msg, Int32(type), v) }
    func string(_ type: UInt16, _ s: String) { _ = nla_put_string(msg, Int32(type), s) }
    func raw(_ type: UInt16, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { nla_put(msg, Int32(type), Int32($0.count), $0.baseAddress) }
    }

    /// `struct nf_inet_addr`: 16 bytes, IPv4 in the first 4.
    func addr(_ type: UInt16, _ a: IPAddress) {
        raw(type, a.bytes + [UInt8](repeating: 0, count: 16 - a.bytes.count))
    }

    /// A port as libipvs holds it: already in network order in a u16.
    func port(_ type: UInt16, _ p: UInt16) { u16(type, p.bigEndian) }

    var bytes: [UInt8] {
        let hdr = nlmsg_hdr(msg)!
        let length = Int(hdr.pointee.nlmsg_len)
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(hdr), count: length).map { $0 }
    }

    func free() { nlmsg_free(msg) }
}
