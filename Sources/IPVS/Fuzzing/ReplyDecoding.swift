// The reply decoders, reachable from the fuzz targets (Fuzz/), which are another package and so
// see only public API. SPI: `@_spi(Fuzzing) import IPVS`; nothing else uses it.

/// One datagram as the kernel might send it, through every decoder the handle applies to
/// replies: the message splitter and header parser of both receive paths (`splitMessages`,
/// `RawMessage.parse`), the NLMSG_ERROR reader with extended-ack TLVs, and each data message
/// through the service, destination (both families, with and without counters), info, timeouts
/// and sync daemon decoders, the decoders the handle picks by request. Errors are expected
/// outcomes; a trap or a memory error is the bug.
@_spi(Fuzzing)
public enum ReplyDecoding {
    /// How many decoders accepted something of `datagram` (a number, so nothing is optimised away).
    public static func decodeEverything(_ datagram: [UInt8]) -> Int {
        var accepted = 0
        if let messages = try? splitMessages(datagram, count: datagram.count) {
            for message in messages { accepted += decode(message) }
        }
        accepted += walkRaw(datagram)
        return accepted
    }

    private static func decode(_ message: ReceivedMessage) -> Int {
        var accepted = 0
        if message.type == NetlinkConstants.error {
            if (try? NetlinkErrorReply(message)) != nil { accepted += 1 }
            return accepted
        }
        let body = message.body
        if (try? IPVSWire.decodeService(body)) != nil { accepted += 1 }
        if (try? IPVSWire.decodeService(body, statistics: false)) != nil { accepted += 1 }
        for family in [AddressFamily.inet, .inet6] {
            if (try? IPVSWire.decodeDestination(body, serviceFamily: family)) != nil { accepted += 1 }
            if (try? IPVSWire.decodeDestination(body, serviceFamily: family, statistics: false)) != nil { accepted += 1 }
        }
        if (try? IPVSWire.decodeInfo(body)) != nil { accepted += 1 }
        if (try? IPVSWire.decodeTimeouts(body)) != nil { accepted += 1 }
        if (try? IPVSWire.decodeDaemon(body)) != nil { accepted += 1 }
        return accepted
    }

    /// The dump path's walk (`IPVSHandle.dump`): headers parsed in place, bodies decoded as
    /// borrowed `RawView`s.
    private static func walkRaw(_ datagram: [UInt8]) -> Int {
        ByteView(datagram).withRaw { (raw: RawView) -> Int in
            var accepted = 0
            var offset = 0
            while let message = try? RawMessage.parse(raw, at: offset) {
                offset = message.next
                let body = raw.slice(message.body)
                if (try? IPVSWire.decodeService(body)) != nil { accepted += 1 }
                if (try? IPVSWire.decodeDestination(body, serviceFamily: .inet6, statistics: true)) != nil { accepted += 1 }
            }
            return accepted
        }
    }
}
