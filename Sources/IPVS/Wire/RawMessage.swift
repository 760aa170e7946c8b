/// The netlink header of one message of a datagram: where its body lies and where the next
/// message starts. The one parser of message headers (`MessageIterator`, dumps).
struct RawMessage {
    let type: UInt16
    let flags: UInt16
    let sequence: UInt32
    let port: UInt32
    /// Everything after the 16-byte netlink header, as offsets in the datagram.
    let body: Range<Int>
    let next: Int

    /// The message at `offset` of `datagram`, nil when no further message fits; every length checked.
    @inline(__always)
    static func parse(_ datagram: RawView, at offset: Int) throws(DecodeError) -> RawMessage? {
        let count = datagram.count
        guard offset + NetlinkConstants.headerLength <= count else { return nil }
        let length = Int(try datagram.native(UInt32.self, at: offset))
        guard length >= NetlinkConstants.headerLength, offset + length <= count else {
            throw DecodeError(message: "netlink message at offset \(offset) has bad length \(length) (datagram \(count) bytes)")
        }
        return RawMessage(
            type: try datagram.native(UInt16.self, at: offset + 4),
            flags: try datagram.native(UInt16.self, at: offset + 6),
            sequence: try datagram.native(UInt32.self, at: offset + 8),
            port: try datagram.native(UInt32.self, at: offset + 12),
            body: (offset + NetlinkConstants.headerLength)..<(offset + length),
            next: offset + align4(length)
        )
    }
}
