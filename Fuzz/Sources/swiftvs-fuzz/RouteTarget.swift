@_spi(Fuzzing) import HostNetwork

/// One rtnetlink datagram (link and address dumps and events) through `RouteMessageDecoder`.
enum RouteTarget {
    static func run(_ bytes: [UInt8]) {
        _ = RouteMessageDecoding.decode(bytes)
    }
}
