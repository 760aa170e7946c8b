import Serialization

/// A word of a connection entry — its protocol (`TCP`, `UDP`, `SCTP`, `IP`, `IP_n`) or its
/// state (`ESTABLISHED`, `SHUTDOWN_RECEIVED`, …) — kept as its bytes, inline.
///
/// `list -c` reads 100,000 entries and prints each word as it came: made into a `String`
/// (`String(decoding:)`), each word ran the standard library's UTF-8 validation and, in the
/// renderer, its comparison and destruction code, two to three 64 KB windows of its one big
/// code section that nothing else of `list -c` touches (docs/benchmarks.md, the connection
/// table). Here a word is up to `capacity` bytes copied into the value: nothing to validate,
/// allocate or release, and it compares as three integers. The kernel's longest words are 17
/// bytes (SCTP's `SHUTDOWN_RECEIVED`, `SHUTDOWN_ACK_SENT`); a longer field is not an entry.
public struct ConnectionWord: Sendable, Hashable {
    /// The longest word kept.
    public static let capacity = 24

    private var bytes: (UInt64, UInt64, UInt64) = (0, 0, 0)
    /// Its length in bytes.
    public let count: Int

    /// The word `field` holds, or nil when it is longer than `capacity`.
    init?(_ field: UnsafeBufferPointer<UInt8>) {
        guard field.count <= Self.capacity else { return nil }
        count = field.count
        guard let from = field.baseAddress else { return }
        withUnsafeMutableBytes(of: &bytes) { $0.baseAddress!.copyMemory(from: from, byteCount: field.count) }
    }

    /// The word of a String (tests, filters), or nil when it is longer than `capacity`.
    public init?(_ text: String) {
        var text = text
        guard let word = text.withUTF8({ ConnectionWord($0) }) else { return nil }
        self = word
    }

    /// Its bytes, valid only during the call.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeBytes(of: bytes) { body(UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)) }
    }

    /// True when the word is `text` (ASCII).
    @inline(__always)
    public func equals(_ text: StaticString) -> Bool {
        guard text.utf8CodeUnitCount == count else { return false }
        return withBytes { word in
            let other = text.utf8Start
            for i in 0..<count where word[i] != other[i] { return false }
            return true
        }
    }

    /// As text.
    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    public static func == (a: ConnectionWord, b: ConnectionWord) -> Bool {
        a.count == b.count && a.bytes.0 == b.bytes.0 && a.bytes.1 == b.bytes.1 && a.bytes.2 == b.bytes.2
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(bytes.0)
        hasher.combine(bytes.1)
        hasher.combine(bytes.2)
    }
}

extension ByteBuffer {
    /// The word's bytes.
    @inline(__always)
    mutating func append(_ word: ConnectionWord) {
        word.withBytes { append($0) }
    }
}
