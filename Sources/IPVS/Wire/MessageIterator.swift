/// The messages of the datagram at `range` of `buffer`, one at a time (no array per
/// datagram: a big listing receives tens of thousands), each length checked as it comes.
struct MessageIterator {
    private let view: ByteView
    private var offset = 0

    init(_ buffer: [UInt8], range: Range<Int>) { view = ByteView(buffer, range) }

    mutating func next() throws(DecodeError) -> ReceivedMessage? {
        let at = offset
        guard let m = try view.withRaw({ (raw: RawView) throws(DecodeError) in try RawMessage.parse(raw, at: at) }) else {
            return nil
        }
        offset = m.next
        return ReceivedMessage(type: m.type, flags: m.flags, sequence: m.sequence, port: m.port, body: view.slice(m.body))
    }
}
