#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// Numbers and addresses the way ipvsadm reads them.
enum IpvsadmScan {
    /// `strtol(s, &end, 10)` that must consume all of a non-empty `s` without overflow.
    static func integer(_ s: some StringProtocol) -> Int? {
        var chars = Substring(s)
        var negative = false
        if let f = chars.first, f == "+" || f == "-" {
            negative = f == "-"
            chars = chars.dropFirst()
        }
        guard !chars.isEmpty else { return nil }
        var v: Int = 0
        for c in chars.unicodeScalars {
            guard c.value >= 48, c.value <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(c.value - 48))
            if o1 || o2 { return nil }
            v = a
        }
        return negative ? -v : v
    }

    /// ipvsadm's `string_to_number(s, min, max)`.
    static func number(_ s: some StringProtocol, _ range: ClosedRange<Int>) -> Int? {
        guard let v = integer(s), range.contains(v) else { return nil }
        return v
    }

    /// `inet_aton`: dotted quads and their short, octal and hex forms.
    static func inetAton(_ s: String) -> IPAddress? {
        var a = in_addr()
        guard inet_aton(s, &a) != 0 else { return nil }
        return withUnsafeBytes(of: &a) { IPAddress(bytes: $0) }
    }

    static func inetPton6(_ s: String) -> IPAddress? {
        var a = in6_addr()
        guard inet_pton(AF_INET6, s, &a) == 1 else { return nil }
        return withUnsafeBytes(of: &a) { IPAddress(bytes: $0) }
    }

    static func inetPton4(_ s: String) -> IPAddress? {
        var a = in_addr()
        guard inet_pton(AF_INET, s, &a) == 1 else { return nil }
        return withUnsafeBytes(of: &a) { IPAddress(bytes: $0) }
    }

    static func isAllDigits(_ s: String) -> Bool {
        s.unicodeScalars.allSatisfy { $0.value >= 48 && $0.value <= 57 }
    }
}
