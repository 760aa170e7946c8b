/// The running configuration's fingerprint for `swiftvs_config_info{hash=…}`: FNV-1a 64 over
/// the bytes of the file and of every file it includes, in the order read, as 16 hex digits. Not
/// a cryptographic hash: it tells two configurations apart on a dashboard, nothing more.
public struct ConfigHash: Sendable {
    private var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Adds `bytes` (one file's contents).
    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            value ^= UInt64(b)
            value = value &* 0x0000_0100_0000_01b3
        }
    }

    /// 16 lowercase hex digits.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
