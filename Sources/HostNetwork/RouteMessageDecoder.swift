import NetworkModel
import SystemErrors

/// Decodes rtnetlink messages (link and address) from the bytes of one netlink datagram.
/// Pure: shared by the dumps of `RouteNetlink` and the notifications of `RouteEventSocket`,
/// and testable without a kernel. Netlink headers and attributes are in host byte order, so
/// they are loaded as native integers; addresses are network-order bytes.
enum RouteMessageDecoder {
    /// One decoded netlink message.
    enum Message: Equatable {
        case link(NetworkInterface, deleted: Bool)
        case address(InterfaceAddress, deleted: Bool)
        /// NLMSG_DONE: a dump ended.
        case done
        /// NLMSG_ERROR with a nonzero errno (positive), for the request with this sequence.
        case error(errno: Errno, sequence: UInt32)
        /// A dump was interrupted by a change (NLM_F_DUMP_INTR): it must be redone.
        case interrupted
        /// Anything else (other types, other families such as AF_BRIDGE link messages).
        case ignored
    }

    // Message types and attributes (linux/rtnetlink.h, if_link.h, if_addr.h).
    static let nlmsgError: UInt16 = 2, nlmsgDone: UInt16 = 3
    static let rtmNewLink: UInt16 = 16, rtmDelLink: UInt16 = 17, rtmGetLink: UInt16 = 18
    static let rtmNewAddr: UInt16 = 20, rtmDelAddr: UInt16 = 21, rtmGetAddr: UInt16 = 22
    static let dumpInterruptedFlag: UInt16 = 0x10
    static let iflaAddress: UInt16 = 1, iflaIfname: UInt16 = 3, iflaMTU: UInt16 = 4
    static let ifaAddress: UInt16 = 1, ifaLocal: UInt16 = 2, ifaLabel: UInt16 = 3
    static let ifaBroadcast: UInt16 = 4, ifaFlags: UInt16 = 8

    /// Every message in `bytes` (one datagram); throws on a length that runs past the end.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> [Message] {
        var messages: [Message] = []
        var offset = 0
        while offset + 16 <= bytes.count {
            let length = Int(read32(bytes, offset))
            let type = read16(bytes, offset + 4)
            let flags = read16(bytes, offset + 6)
            let sequence = read32(bytes, offset + 8)
            guard length >= 16, offset + length <= bytes.count else {
                throw DecodeError(reason: "netlink message of length \(length) at offset \(offset) overruns the \(bytes.count)-byte datagram")
            }
            let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 16)..<(offset + length)])
            if flags & dumpInterruptedFlag != 0 {
                messages.append(.interrupted)
            } else {
                messages.append(try decodeOne(type: type, sequence: sequence, body: body))
            }
            offset += (length + 3) & ~3
        }
        return messages
    }

    static func decodeOne(type: UInt16, sequence: UInt32, body: UnsafeRawBufferPointer) throws(DecodeError) -> Message {
        switch type {
        case nlmsgDone: return .done
        case nlmsgError:
            guard body.count >= 4 else { throw DecodeError(reason: "NLMSG_ERROR of \(body.count) bytes") }
            let e = Int32(bitPattern: read32(body, 0))
            // 0 is an ACK, -1…-4095 an errno; anything else (INT_MIN has no negation) is no reply.
            guard e <= 0, e > -4096 else { throw DecodeError(reason: "NLMSG_ERROR with error \(e), not an errno") }
            return e == 0 ? .ignored : .error(errno: Errno(rawValue: -e), sequence: sequence)
        case rtmNewLink, rtmDelLink:
            return try link(body, deleted: type == rtmDelLink)
        case rtmNewAddr, rtmDelAddr:
            return try address(body, deleted: type == rtmDelAddr)
        default:
            return .ignored
        }
    }

    /// struct ifinfomsg (16 bytes) then attributes. Only AF_UNSPEC link messages describe the
    /// interface; AF_BRIDGE ones (bridge ports) repeat it and are ignored.
    static func link(_ body: UnsafeRawBufferPointer, deleted: Bool) throws(DecodeError) -> Message {
        guard body.count >= 16 else { throw DecodeError(reason: "link message of \(body.count) bytes (ifinfomsg is 16)") }
        guard body[0] == 0 else { return .ignored }
        let index = Int32(bitPattern: read32(body, 4))
        let flags = read32(body, 8)
        var name = "", mac: MACAddress?, mtu: UInt32?
        try attributes(body, from: 16) { type, value in
            switch type {
            case iflaIfname: name = string(value)
            case iflaAddress: mac = MACAddress(bytes: value)
            case iflaMTU where value.count >= 4: mtu = read32(value, 0)
            default: break
            }
        }
        return .link(NetworkInterface(index: index, name: name, macAddress: mac, flags: flags, mtu: mtu), deleted: deleted)
    }

    /// struct ifaddrmsg (8 bytes) then attributes. IFA_LOCAL is the address itself when
    /// present (IFA_ADDRESS is then the peer); IPv6 usually sends IFA_ADDRESS alone.
    static func address(_ body: UnsafeRawBufferPointer, deleted: Bool) throws(DecodeError) -> Message {
        guard body.count >= 8 else { throw DecodeError(reason: "address message of \(body.count) bytes (ifaddrmsg is 8)") }
        let family = body[0], prefix = body[1], scope = body[3]
        var flags = UInt32(body[2])
        let index = Int32(bitPattern: read32(body, 4))
        guard family == 2 || family == 10 else { return .ignored }
        var local: IPAddress?, peer: IPAddress?, broadcast: IPAddress?, label: String?
        try attributes(body, from: 8) { type, value in
            switch type {
            case ifaLocal: local = IPAddress(bytes: value)
            case ifaAddress: peer = IPAddress(bytes: value)
            case ifaBroadcast: broadcast = IPAddress(bytes: value)
            case ifaLabel: label = string(value)
            case ifaFlags where value.count >= 4: flags = read32(value, 0)
            default: break
            }
        }
        guard let address = local ?? peer else {
            throw DecodeError(reason: "address message for interface index \(index) without IFA_LOCAL or IFA_ADDRESS")
        }
        let entry = InterfaceAddress(address: address, prefixLength: prefix, interfaceIndex: index, label: label,
                                     scope: AddressScope(rawValue: scope), broadcast: broadcast, flags: flags)
        return .address(entry, deleted: deleted)
    }

    /// Walks struct rtattr entries (len u16, type u16, value, padded to 4).
    static func attributes(_ body: UnsafeRawBufferPointer, from start: Int,
                           _ visit: (UInt16, UnsafeRawBufferPointer) -> Void) throws(DecodeError) {
        var offset = start
        while offset + 4 <= body.count {
            let length = Int(read16(body, offset))
            let type = read16(body, offset + 2) & 0x3fff
            guard length >= 4, offset + length <= body.count else {
                throw DecodeError(reason: "attribute of length \(length) at offset \(offset) overruns its \(body.count)-byte message")
            }
            visit(type, UnsafeRawBufferPointer(rebasing: body[(offset + 4)..<(offset + length)]))
            offset += (length + 3) & ~3
        }
    }

    static func read16(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        b.loadUnaligned(fromByteOffset: at, as: UInt16.self)
    }

    static func read32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        b.loadUnaligned(fromByteOffset: at, as: UInt32.self)
    }

    static func string(_ value: UnsafeRawBufferPointer) -> String {
        String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    struct DecodeError: Error { var reason: String }
}
