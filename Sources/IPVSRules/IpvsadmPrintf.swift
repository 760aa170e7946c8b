import IPVSModel

/// printf-style helpers reproducing the exact bytes ipvsadm's format strings produce.
enum IpvsadmPrintf {
    /// `%-Ns`: left-justified in at least `width` bytes.
    static func left(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : s + String(repeating: " ", count: width - n)
    }

    /// `%Ns`: right-justified in at least `width` bytes.
    static func right(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }

    /// The first `bytes` bytes of `s` (C's `buf[bytes] = '\0'`, or snprintf into `bytes + 1`).
    static func truncate(_ s: String, _ bytes: Int) -> String {
        let u = s.utf8
        guard u.count > bytes else { return s }
        return String(decoding: u.prefix(bytes), as: UTF8.self)
    }

    /// `inet_ntoa` of an IPv4 mask held in host order (0xFFFFFF00 is 255.255.255.0).
    static func dottedQuad(_ v: UInt32) -> String {
        "\(v >> 24 & 0xFF).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
    }

    /// A firewall mark as ipvsadm prints it (`%d`: marks from 2^31 up come out negative).
    static func fwmark(_ mark: UInt32) -> String {
        String(Int32(bitPattern: mark))
    }

    /// ipvsadm's `print_largenum`: 9 columns, abbreviated with K/M/G/T from 100 million up,
    /// or with `exact` the full number in at least 9 columns and always a leading space.
    static func largeNumber(_ i: UInt64, exact: Bool) -> String {
        if exact {
            let s = String(i)
            return right(s, s.utf8.count <= 8 ? 9 : s.utf8.count + 1)
        }
        switch i {
        case ..<100_000_000: return right(String(i), 9)
        case ..<1_000_000_000: return right(String(i / 1000), 8) + "K"
        case ..<100_000_000_000: return right(String(i / 1_000_000), 8) + "M"
        case ..<100_000_000_000_000: return right(String(i / 1_000_000_000), 8) + "G"
        default: return right(String(i / 1_000_000_000_000), 8) + "T"
        }
    }
}
