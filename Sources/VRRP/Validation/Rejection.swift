/// Why a received packet was not taken as an advert for this instance. Each cause is counted
/// and logged once per cause (by the caller); a rejected packet never touches the state
/// machine's timers. Its name, as the status and the metrics' `cause` label write it, is its
/// raw value.
public enum RejectionCause: String, Sendable, Hashable, CaseIterable {
    /// The IPv4 header cannot be read (version not 4, bad IHL).
    case malformedIPHeader = "malformed-ip-header"
    /// Lengths disagree: IP total length vs bytes received, too short for a VRRP header, or
    /// not exactly header + addresses (+ auth for v2).
    case badLength = "bad-length"
    /// The IPv4 protocol is not 112 (AH included: not supported).
    case wrongProtocol = "wrong-protocol"
    /// A multicast advert whose TTL / hop limit is not 255.
    case badTTL = "bad-ttl"
    /// VRRP version differs from the instance's (or is neither 2 nor 3).
    case wrongVersion = "wrong-version"
    /// The checksum does not verify.
    case badChecksum = "bad-checksum"
    /// The type is not 1 (ADVERTISEMENT).
    case wrongType = "wrong-type"
    /// The VRID is not this instance's: hand the packet to the instance it belongs to.
    case wrongVRID = "wrong-vrid"
    /// A multicast advert reached an instance configured with unicast peers.
    case multicastOnUnicastInstance = "multicast-on-unicast-instance"
    /// A unicast advert reached a multicast instance.
    case unicastOnMulticastInstance = "unicast-on-multicast-instance"
    /// The v2 authentication type differs from ours.
    case authTypeMismatch = "auth-type-mismatch"
    /// The v2 password differs from ours.
    case passwordMismatch = "password-mismatch"
    /// The v2 advertisement interval differs from ours (RFC 3768 §7.1 MUST discard).
    case intervalMismatch = "interval-mismatch"
    /// The address count differs from our number of virtual addresses.
    case addressCountMismatch = "address-count-mismatch"
    /// One of our virtual addresses is not in the advert.
    case addressMissing = "address-missing"
}

/// A rejected packet: its cause and a message worded like keepalived's log line for it.
public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// What rule the packet broke.
    public var cause: RejectionCause
    /// A sentence for the log, modelled on keepalived's (without the instance name prefix).
    public var message: String

    /// A rejection with its cause and message.
    public init(_ cause: RejectionCause, _ message: String) {
        self.cause = cause
        self.message = message
    }

    public var description: String { message }
}
