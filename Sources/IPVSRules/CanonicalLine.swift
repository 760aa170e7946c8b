#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// The fast path for the lines `ipvsadm-save` writes, read straight from the bytes.
///
/// A saved table is almost all `-A` and `-a` lines in one fixed shape:
///
///     -A -t 203.0.113.1:80 -s wlc -p 360
///     -a -t 203.0.113.1:80 -r 192.0.2.10:80 -g -w 1 -x 100 -y 10
///     -A -f 80 -s lc
///     -a -f 80 -r [2001:db8::10]:0 -m -w 2
///
/// `parse` recognises exactly that shape (single spaces, options in ipvsadm-save's order,
/// numeric addresses and ports, nothing ipvsadm-save would not write) and builds the
/// command without tokens, option tables or per-token strings. It keeps no argument tokens (the
/// tokens' columns and text, for diagnostics): the checks across lines, which report on
/// such lines, read the line again with ``LineParser`` when they have something to say. For any other line — and
/// for a canonical-looking line with anything unusual in it (a leading zero, a value out
/// of range, a port 0 service without -p, mixed address families, a zero address…) — it
/// returns nil and the line goes through ``LineParser``, which emulates ipvsadm in full
/// and reports errors. So this path never decides anything on its own: when it answers,
/// the answer is the one `LineParser` gives (Tests/IPVSRulesTests/CanonicalLineTests
/// compares both over the fixtures and a few thousand generated and mutated lines).
enum CanonicalLine {
    /// The previous line's virtual service, as written and as parsed: a saved table lists a
    /// service's real servers one after another, all naming the service the same way.
    struct Memo {
        /// The words as written (`count` bytes of `storage`), kept inline: no array to
        /// empty and refill for every service. Longer words are not remembered.
        private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        private(set) var count = 0
        static let capacity = 64

        /// The words remembered (empty: none).
        var token: [UInt8] { withUnsafeBytes(of: storage) { Array($0.prefix(count)) } }

        /// Remembers `words` (or nothing, if they do not fit).
        mutating func remember(_ words: UnsafeBufferPointer<UInt8>) {
            guard words.count <= Self.capacity else { count = 0; return }
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(words)) }
            count = words.count
        }

        /// Whether the `count` bytes at `bytes` are the words remembered, compared a word
        /// at a time.
        @inline(__always)
        func matches(_ bytes: UnsafePointer<UInt8>) -> Bool {
            withUnsafeBytes(of: storage) { kept in
                let raw = UnsafeRawPointer(bytes)
                var i = 0
                while i + 8 <= count {
                    guard raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) == kept.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    else { return false }
                    i += 8
                }
                while i < count {
                    guard bytes[i] == kept[i] else { return false }
                    i += 1
                }
                return true
            }
        }

        var key: ServiceKey = .fwmark(0, family: .inet)
        var port: UInt16 = 0
        /// `key.family`, worked out once per service instead of once per line.
        var family: AddressFamily = .inet
    }

    /// The command for one line (without its line break), or nil: use ``LineParser``.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, file: String, line number: Int) -> RuleCommand? {
        var memo = Memo()
        return parse(line, file: file, line: number, memo: &memo)
    }

    /// `parse`, reusing the service parsed on an earlier line when it is written the same way.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, file: String, line number: Int, memo: inout Memo) -> RuleCommand? {
        var commands: [RuleCommand] = []
        return parse(line, file: file, line: number, memo: &memo, into: &commands) ? commands[0] : nil
    }

    /// `parse`, appending the command to `commands` (made in place there: no optional
    /// command to copy out of). False, with `commands` unchanged: use ``LineParser``.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, file: String, line number: Int, memo: inout Memo,
                      into commands: inout [RuleCommand]) -> Bool {
        guard line.count >= 2 else { return false }
        var c = Cursor(bytes: line)
        guard c.at(0) == UInt8(ascii: "-") else { return false }
        let isService: Bool
        switch c.at(1) {
        case UInt8(ascii: "A"): isService = true
        case UInt8(ascii: "a"): isService = false
        default: return false
        }
        c.position = 2
        guard c.space() else { return false }

        // The virtual service: `-t ADDRESS:PORT` and the rest of the line's words, or the
        // same words as the memo's (from `-` of the option to the end of the value).
        // The memo's words are `-X VALUE` (no blank in either), so the line has the same two
        // words exactly when it has the memo's bytes followed by a blank or the end.
        let optionStart = c.position
        let end = optionStart + memo.count
        let key: ServiceKey
        let family: AddressFamily
        var servicePort: UInt16 = 0
        if memo.count > 0, end <= line.count, c.at(end) == UInt8(ascii: " ") || end == line.count,
           memo.matches(line.baseAddress! + optionStart)
        {
            key = memo.key
            family = memo.family
            servicePort = memo.port
            c.position = end
        } else {
            guard let flag = c.shortOption() else { return false }
            switch flag {
            case UInt8(ascii: "t"), UInt8(ascii: "u"):
                guard let (address, port) = c.addressAndPort() else { return false }
                key = .address(flag == UInt8(ascii: "t") ? .tcp : .udp, address, port: port)
                family = Self.family(of: address)
                servicePort = port
            case UInt8(ascii: "f"):
                guard let mark = c.decimal(max: Int(UInt32.max)), mark >= 1, c.atTokenEnd else { return false }
                key = .fwmark(UInt32(mark), family: .inet)
                family = .inet
            default:
                return false
            }
            memo.remember(UnsafeBufferPointer(rebasing: line[optionStart..<c.position]))
            memo.key = key
            memo.family = family
            memo.port = servicePort
        }
        let location = SourceLocation(file: file, line: number, column: 1)

        if isService {
            // -s NAME [-p TIMEOUT]
            guard c.space(), c.shortOption() == UInt8(ascii: "s") else { return false }
            let nameStart = c.position
            // Printable ASCII only: LineParser splits tokens at tabs and CRs too.
            while c.at(c.position) > UInt8(ascii: " "), c.at(c.position) < 0x7F { c.position += 1 }
            let nameLength = c.position - nameStart
            guard nameLength >= 1, nameLength <= 15, c.at(nameStart) != UInt8(ascii: "-") else { return false }
            let scheduler = c.text(nameStart..<c.position)
            var flags: ServiceFlags = []
            var timeout: UInt32 = 0
            if !c.atEnd {
                guard c.space(), c.shortOption() == UInt8(ascii: "p"),
                      let t = c.decimal(max: LineParser.maxTimeout), t >= 1, c.atTokenEnd
                else { return false }
                flags.insert(.persistent)
                timeout = UInt32(t)
            }
            guard c.atEnd else { return false }
            if case .address = key, servicePort == 0, !flags.contains(.persistent) { return false }
            let netmask: UInt32 = family == .inet6 ? 128 : 0xFFFF_FFFF
            let service = Service(key: key, scheduler: scheduler, flags: flags, timeout: timeout, netmask: netmask,
                                  persistenceEngine: nil)
            commands.append(RuleCommand(location: location, action: .change(.addService(service))))
            return true
        }

        // -r ADDRESS:PORT -g|-m -w WEIGHT [-x UPPER] [-y LOWER]
        // The fixed words are compared whole: ` -r ` and ` -g -w ` / ` -m -w ` are what
        // `space()` and `shortOption()` accept there (a blank or the end after them makes
        // the address or the weight fail, as it would).
        guard c.skip(" -r ") else { return false }
        guard let (address, parsedPort) = c.addressAndPort() else { return false }
        let directRouting: Bool
        if c.skip(" -g -w ") {
            directRouting = true
        } else if c.skip(" -m -w ") {
            directRouting = false
        } else {
            return false
        }
        let forwarding: ForwardingMethod = directRouting ? .directRouting : .masquerade
        guard let weight = c.decimal(max: 65535), c.atTokenEnd else { return false }
        var upper = 0, lower = 0
        if !c.atEnd, c.peekOption() == UInt8(ascii: "x") {
            guard c.space(), c.shortOption() != nil, let x = c.decimal(max: Int(Int32.max)), c.atTokenEnd else { return false }
            upper = x
        }
        if !c.atEnd, c.peekOption() == UInt8(ascii: "y") {
            guard c.space(), c.shortOption() != nil, let y = c.decimal(max: Int(Int32.max)), c.atTokenEnd else { return false }
            lower = y
        }
        guard c.atEnd, lower <= upper, Self.family(of: address) == family, !Self.isZero(address) else { return false }
        // Direct routing keeps the service's port (firewall marks have none).
        var port = parsedPort
        if case .address = key, directRouting { port = servicePort }
        let destination = Destination(address: address, port: port, forwarding: forwarding, weight: Int32(weight),
                                      upperThreshold: UInt32(upper), lowerThreshold: UInt32(lower))
        commands.append(RuleCommand(location: location, action: .change(.addDestination(destination, to: key))))
        return true
    }

    /// `address.family`, without a call into the IPVS module.
    @inline(__always)
    private static func family(of address: IPAddress) -> AddressFamily {
        switch address {   // every case named: a new kind of address is a compile error here
        case .v4: return .inet
        case .v6: return .inet6
        }
    }

    /// `address.isZero`, without a call into the IPVS module for IPv4.
    @inline(__always)
    private static func isZero(_ address: IPAddress) -> Bool {
        if case let .v4(a, b, c, d) = address { return a | b | c | d == 0 }
        return address.isZero
    }

    /// A read position in one line. Reads past the end give 0, a byte no check accepts
    /// (a NUL inside the line is refused the same way), so no read needs an optional.
    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        private let base: UnsafePointer<UInt8>
        var position = 0

        /// A cursor on a line that is not empty.
        init(bytes: UnsafeBufferPointer<UInt8>) {
            precondition(!bytes.isEmpty, "a cursor needs a line with bytes in it")
            self.bytes = bytes
            base = bytes.baseAddress!
        }

        var count: Int { bytes.count }
        var atEnd: Bool { position == bytes.count }
        var atTokenEnd: Bool { position == bytes.count || base[position] == UInt8(ascii: " ") }

        /// The byte at `i`, or 0 past the end.
        @inline(__always)
        func at(_ i: Int) -> UInt8 { i < bytes.count ? base[i] : 0 }

        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
        }

        /// Skips `literal` (ASCII) if the line has it at the position.
        @inline(__always)
        mutating func skip(_ literal: StaticString) -> Bool {
            let n = literal.utf8CodeUnitCount
            guard position + n <= bytes.count else { return false }
            let p = literal.utf8Start
            for i in 0..<n where base[position + i] != p[i] { return false }
            position += n
            return true
        }

        /// One blank between tokens, followed by more.
        @inline(__always)
        mutating func space() -> Bool {
            guard at(position) == UInt8(ascii: " "), position + 1 < bytes.count,
                  base[position + 1] != UInt8(ascii: " ") else { return false }
            position += 1
            return true
        }

        /// The letter of the next token if it is `-X` followed by a blank.
        func peekOption() -> UInt8? {
            guard at(position + 1) == UInt8(ascii: "-"), position + 2 < bytes.count,
                  at(position + 3) == UInt8(ascii: " ") else { return nil }
            return base[position + 2]
        }

        /// Reads `-X ` (a lone short option and the blank after it) and returns X.
        @inline(__always)
        mutating func shortOption() -> UInt8? {
            guard at(position) == UInt8(ascii: "-"), position + 1 < bytes.count else { return nil }
            let letter = base[position + 1]
            guard letter != UInt8(ascii: "-"), position + 2 == bytes.count || base[position + 2] == UInt8(ascii: " ")
            else { return nil }
            position += 2
            if position < bytes.count {
                // An option that takes a value: the value follows the blank.
                switch letter {
                case UInt8(ascii: "g"), UInt8(ascii: "m"): break
                default: guard space() else { return nil }
                }
            }
            return letter
        }

        /// A decimal number without sign or leading zero, at most `max`.
        @inline(__always)
        mutating func decimal(max: Int) -> Int? {
            let first = position
            var value = 0
            while position < bytes.count {
                let digit = base[position] &- UInt8(ascii: "0")
                guard digit <= 9 else { break }
                value = value &* 10 &+ Int(digit)
                if value > max { return nil }
                position += 1
            }
            let length = position - first
            guard length > 0, length == 1 || base[first] != UInt8(ascii: "0") else { return nil }
            return value
        }

        /// Four octets from `start`, most significant first: one to three digits each, no
        /// leading zero, at most 255 (what `decimal(max: 255)` reads), and where they end.
        /// Unless `checked`, the 16 bytes from `start` must be in the line.
        @inline(__always)
        private func ipv4(from start: Int, checked: Bool) -> (UInt32, Int)? {
            @inline(__always) func digit(_ i: Int) -> UInt8 { (checked ? at(i) : base[i]) &- UInt8(ascii: "0") }
            var word: UInt32 = 0
            var i = start
            for octet in 0..<4 {
                let d0 = digit(i)
                guard d0 <= 9 else { return nil }
                var value = UInt32(d0)
                i += 1
                let d1 = digit(i)
                if d1 <= 9 {
                    guard d0 != 0 else { return nil }
                    value = value &* 10 &+ UInt32(d1)
                    i += 1
                    let d2 = digit(i)
                    if d2 <= 9 {
                        value = value &* 10 &+ UInt32(d2)
                        i += 1
                        guard value <= 255, digit(i) > 9 else { return nil }
                    }
                }
                word = word << 8 | value
                if octet < 3 {
                    guard digit(i) == UInt8(ascii: ".") &- UInt8(ascii: "0") else { return nil }
                    i += 1
                }
            }
            return (word, i)
        }

        /// `A.B.C.D:PORT` (plain decimal octets) or `[IPV6]:PORT`. Inlined in the two
        /// places that read one (a call per line was a quarter of its cost); the rarer
        /// IPv6 form is read out of line.
        @inline(__always)
        mutating func addressAndPort() -> (IPAddress, UInt16)? {
            let address: IPAddress
            if at(position) == UInt8(ascii: "[") {
                guard let a = bracketedIPv6() else { return nil }
                address = a
            } else {
                // The octets read at most 16 bytes (15 and the one after): without a bounds
                // check per byte when the line has them.
                guard let (word, end) = position + 16 <= bytes.count
                        ? ipv4(from: position, checked: false) : ipv4(from: position, checked: true)
                else { return nil }
                position = end
                address = .v4(UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                              UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word))
            }
            guard at(position) == UInt8(ascii: ":") else { return nil }
            position += 1
            guard let port = decimal(max: 65535), atTokenEnd else { return nil }
            return (address, UInt16(port))
        }

        /// `[IPV6]` (the position at its `[`): only what an IPv6 address is written with,
        /// and two colons at least (as LineParser, which sends anything else to the resolver).
        @inline(never)
        mutating func bracketedIPv6() -> IPAddress? {
            let start = position + 1
            var end = start
            var colons = 0
            while case let b = at(end), b != UInt8(ascii: "]") {
                if b == UInt8(ascii: ":") { colons += 1 }
                guard b == UInt8(ascii: ":") || b == UInt8(ascii: ".") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                        || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "f")) else { return nil }
                end += 1
            }
            guard colons >= 2, let a = IpvsadmScan.inetPton6(text(start..<end)) else { return nil }
            position = end + 1
            return a
        }
    }
}
