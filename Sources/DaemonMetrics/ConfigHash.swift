/// The running configuration's fingerprint for `swiftvs_config_info{hash=…}`: FNV-1a 64 over
/// the bytes of the file and of every file it includes, in the order read, as 16 hex digits. Not
/// a cryptographic hash: it tells two configurations apart on a dashboard, nothing more.
public struct ConfigHash: Sendable {
    private var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Adds a file's text: its UTF-8 bytes, over the contiguous buffer (a generic sequence of
    /// bytes went through a witness call per byte from another module: a reload of a 4.8 MB
    /// file paid for it every time).
    public mutating func add(text: String) {
        var text = text
        text.withUTF8 { buffer in
            var h = value
            for b in buffer {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01b3
            }
            value = h
        }
    }

    /// 16 lowercase hex digits.
    public var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
