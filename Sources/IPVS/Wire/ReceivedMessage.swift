/// One message out of a receive buffer.
struct ReceivedMessage {
    let type: UInt16
    let flags: UInt16
    let sequence: UInt32
    let port: UInt32
    /// Everything after the 16-byte netlink header.
    let body: ByteView
}

/// Splits a datagram into netlink messages, checking every length.
func splitMessages(_ buffer: [UInt8], count: Int) throws(DecodeError) -> [ReceivedMessage] {
    try splitMessages(buffer, range: 0..<count)
}

/// Splits the datagram at `range` of `buffer` into messages that view `buffer` (no copy).
func splitMessages(_ buffer: [UInt8], range: Range<Int>) throws(DecodeError) -> [ReceivedMessage] {
    var result: [ReceivedMessage] = []
    var messages = MessageIterator(buffer, range: range)
    while let m = try messages.next() { result.append(m) }
    return result
}
