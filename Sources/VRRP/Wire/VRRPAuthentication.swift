/// VRRPv2 authentication as configured (`authentication { auth_type PASS; auth_pass … }`).
/// Only PASS is supported; AH is rejected by the configuration layer with a clear error.
public enum VRRPAuthentication: Sendable, Hashable {
    /// No authentication: type 0, eight zero bytes.
    case none
    /// Simple text password, type 1: the first 8 bytes of the password, zero padded (keepalived
    /// logs "Truncating auth_pass to 8 characters" for a longer one).
    case password([UInt8])

    /// A password from its configured text (UTF-8), truncated to 8 bytes.
    public static func password(_ text: String) -> VRRPAuthentication {
        .password(Array(text.utf8.prefix(VRRPPacket.authDataLength)))
    }

    /// The auth type byte carried in a v2 advert.
    public var wireType: UInt8 {
        switch self {
        case .none: return VRRPPacket.authNone
        case .password: return VRRPPacket.authSimplePassword
        }
    }

    /// The 8 authentication bytes carried in a v2 advert.
    public var wireData: [UInt8] {
        switch self {
        case .none: return [UInt8](repeating: 0, count: VRRPPacket.authDataLength)
        case let .password(bytes):
            let head = Array(bytes.prefix(VRRPPacket.authDataLength))
            return head + [UInt8](repeating: 0, count: VRRPPacket.authDataLength - head.count)
        }
    }
}
