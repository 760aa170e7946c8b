@_spi(Fuzzing) import IPVS

/// One generic-netlink datagram from "the kernel" through every IPVS reply decoder
/// (`ReplyDecoding.decodeEverything`).
enum IPVSReplyTarget {
    static func run(_ bytes: [UInt8]) {
        _ = ReplyDecoding.decodeEverything(bytes)
    }
}
