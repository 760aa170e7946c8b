/// What `IPVSHandle.capturedReplies(_:)` asks the kernel for.
@_spi(WireCapture)
public enum WireCaptureRequest: Sendable {
    case services
    case destinations(ServiceKey)
    case info
    case timeouts
    case daemons
}

extension IPVSHandle {
    /// The kernel's raw reply messages (generic-netlink header and attributes, without the
    /// netlink header) for a request: how the decoder fixtures in Tests/ are captured.
    @_spi(WireCapture)
    public func capturedReplies(_ what: WireCaptureRequest) throws(IPVSError) -> [[UInt8]] {
        let request: Request
        switch what {
        case .services: request = .dumpServices
        case let .destinations(key): request = .dumpDestinations(key)
        case .info: request = .getInfo
        case .timeouts: request = .getConfig
        case .daemons: request = .getDaemons
        }
        return try connection.withLock { (c: inout Connection) throws(IPVSError) -> [[UInt8]] in
            let messages = request.isDump ? try c.dump(request) : [try c.requestOne(request)]
            return messages.map { Array($0.body.bytes) }
        }
    }
}
