// The rtnetlink decoder, reachable from the fuzz targets (Fuzz/), another package that sees only
// public API. SPI: `@_spi(Fuzzing) import HostNetwork`; nothing else uses it.

/// One rtnetlink datagram through `RouteMessageDecoder.decode`, the decoder of both the dumps
/// (`RouteNetlink`) and the link/address events (`RouteEventSocket`).
@_spi(Fuzzing)
public enum RouteMessageDecoding {
    /// How many messages decoded, or -1 when the datagram was refused (both are fine outcomes;
    /// a trap or a memory error is the bug).
    public static func decode(_ datagram: [UInt8]) -> Int {
        datagram.withUnsafeBytes { raw in
            (try? RouteMessageDecoder.decode(raw))?.count ?? -1
        }
    }
}
