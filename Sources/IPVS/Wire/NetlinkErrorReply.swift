import SystemErrors

/// The content of an NLMSG_ERROR message: 0 is an ACK, otherwise a negative errno.
struct NetlinkErrorReply {
    let error: Int32
    let originalSequence: UInt32
    /// The kernel's own words (extended ack), when it gave any.
    let message: String?
    /// The errno of an error reply (`error` negated).
    var errno: Errno { Errno(rawValue: -error) }

    init(_ msg: ReceivedMessage) throws(DecodeError) {
        error = try msg.body.native(Int32.self, at: 0)
        // 0 is an ACK, -1…-4095 an errno; anything else (INT_MIN has no negation) is no reply.
        guard error <= 0, error > -4096 else { throw DecodeError(message: "NLMSG_ERROR with error \(error), not an errno") }
        originalSequence = try msg.body.native(UInt32.self, at: 4 + 8)
        var text: String? = nil
        if msg.flags & NetlinkConstants.ackTLVs != 0 {
            // The original header (16 bytes) follows the errno; its payload only when not capped.
            var tlvStart = 4 + NetlinkConstants.headerLength
            if msg.flags & NetlinkConstants.capped == 0 {
                let originalLength = Int(try msg.body.native(UInt32.self, at: 4))
                tlvStart = 4 + align4(originalLength)
            }
            if tlvStart < msg.body.count {
                let tlvs = try AttributeSet(parsing: msg.body.slice(tlvStart..<msg.body.count))
                text = try tlvs[NetlinkConstants.extAckMessage]?.string()
            }
        }
        message = text
    }
}
