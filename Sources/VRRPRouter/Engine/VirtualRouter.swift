import NetworkModel
import HostNetwork
import VRRP

/// One `vrrp_instance` at run time: its protocol state machine and receive validator, the
/// sockets it sends and receives adverts on (both shared with the other instances on its
/// interface: an `AdvertSender`, and the `AdvertReceiver` of its `receiverKey`), and the sockets of its gratuitous ARPs and
/// neighbour advertisements (its interface's, shared too). Owned by the `VRRPEngine` actor, which alone touches it.
final class VirtualRouter {
    let config: VRRPInstanceConfig
    let interface: NetworkInterface
    /// The advert source: `unicast_src_ip`, or the interface's primary address.
    let source: IPAddress
    var machine: VRRPStateMachine
    let validator: AdvertValidator
    /// The shared receive socket its adverts come in on.
    let receiverKey: ReceiverKey
    /// The send socket, shared with the instances of the same interface, family and mode.
    let sender: AdvertSender
    /// The GARP / NA sockets of its interface, shared with the instances there.
    let announcer: AnnouncementSender
    /// The addresses this router adds and removes, with the interface each goes on.
    let addresses: [InterfaceAddress]
    /// The reactor timer of the next announcement burst (0: none); the protocol timers are
    /// the engine's sweep (`VRRPEngine.armSweep`).
    var announcementTimer: UInt64 = 0
    /// Bumped at every state change, so announcements scheduled for an earlier mastership
    /// are not sent.
    var epoch = 0
    /// Builds the adverts (and numbers the IPv4 ones per instance, as keepalived does).
    var encoder: AdvertEncoder
    /// The datagrams of the last advert built (`appendAdvert`) and the priority they carry.
    private var built: [(destination: IPAddress, bytes: [UInt8])] = []
    private var builtPriority: UInt8?
    /// Rejections logged so far, once per cause.
    var loggedRejections: Set<RejectionCause> = []
    /// Errors from sends and address changes: logged once per text until the next success.
    var lastError: String?
    /// Track weights in force: name → weight applied now (scripts and interfaces).
    var weights: [String: Int] = [:]

    init(config: VRRPInstanceConfig, interface: NetworkInterface, source: IPAddress, addresses: [InterfaceAddress],
         receiverKey: ReceiverKey, sender: AdvertSender,
         announcer: AnnouncementSender) {
        self.config = config
        self.interface = interface
        self.source = source
        self.addresses = addresses
        self.receiverKey = receiverKey
        self.sender = sender
        self.announcer = announcer
        machine = VRRPStateMachine(configuration: Self.machineConfiguration(config, source: source))
        validator = AdvertValidator(Self.expectation(config))
        let version: VRRPVersion = config.version == 3 ? .v3 : .v2
        encoder = AdvertEncoder(vrid: config.virtualRouterID, version: version, authentication: Self.authentication(config),
                                advertInterval: config.advertInterval, addresses: config.advertisedAddresses,
                                source: source, omitIPv4PseudoHeader: config.checksumWithoutPseudoHeader)
    }

    var name: String { config.name }

    static func machineConfiguration(_ c: VRRPInstanceConfig, source: IPAddress) -> VRRPInstanceConfiguration {
        var m = VRRPInstanceConfiguration(localAddress: source)
        m.version = c.version == 3 ? .v3 : .v2
        m.initialState = c.initialState == .master ? .master : .backup
        m.priority = c.priority
        m.nopreempt = c.nopreempt
        m.preemptDelay = c.preemptDelay
        m.advertInterval = c.advertInterval
        m.lowerPriorityNoAdvert = c.lowerPriorityNoAdvert
        m.higherPrioritySendAdvert = c.higherPrioritySendAdvert
        return m
    }

    static func expectation(_ c: VRRPInstanceConfig) -> AdvertExpectation {
        AdvertExpectation(
            vrid: c.virtualRouterID, version: c.version == 3 ? .v3 : .v2, family: c.family,
            authentication: authentication(c), advertInterval: AdvertInterval.effective(c.advertInterval, version: c.version == 3 ? .v3 : .v2),
            virtualAddresses: c.advertisedAddresses, isUnicast: c.isUnicast,
            ipv4PseudoHeader: !c.checksumWithoutPseudoHeader)
    }

    static func authentication(_ c: VRRPInstanceConfig) -> VRRPAuthentication {
        switch c.authentication {
        case .none: return .none
        case let .password(bytes): return .password(bytes)
        }
    }

    /// The datagrams of one advert with `priority`: one per destination (the group, or each
    /// unicast peer, all copies with the same IP identification, as keepalived sends them).
    /// IPv4 datagrams carry the IP header (IP_HDRINCL); IPv6 ones are the VRRP message alone
    /// (the kernel adds the header and the checksum).
    func advert(priority: UInt8) -> [(destination: IPAddress, bytes: [UInt8])] {
        let destinations = config.isUnicast ? config.unicastPeers : [VRRPReceiveSocket.defaultGroup(config.family)]
        return destinations.enumerated().map { i, dst in
            (dst, encoder.encode(priority: priority, destination: dst, newAdvert: i == 0))
        }
    }

    /// Appends the datagrams of one advert with `priority` to `batch` (the same bytes and
    /// identification sequence as `advert(priority:)`). The datagrams are built once per priority
    /// and kept: the next advert at that priority only restamps the IPv4 identification and header
    /// checksum (`AdvertEncoder.restamp`), so a steady master builds nothing per advert.
    func appendAdvert(priority: UInt8, to batch: inout VRRPSendBatch) {
        if builtPriority == priority {
            for i in built.indices { encoder.restamp(&built[i].bytes, newAdvert: i == 0) }
        } else {
            built = advert(priority: priority)
            builtPriority = priority
        }
        let from = config.family == .inet6 ? source : nil
        for d in built { batch.append(d.bytes, to: d.destination, from: from) }
    }

    /// Validates one received datagram.
    func validate(_ d: VRRPDatagram) -> Result<AcceptedAdvert, Rejection> {
        if d.isTruncated { return .failure(Rejection(.badLength, "datagram larger than \(VRRPReceiveSocket.maximumDatagramSize) bytes")) }
        if config.family == .inet { return validator.validate(ipv4Datagram: d.bytes) }
        let facts = ReceiveFacts(source: d.source, destination: d.destination, ttl: d.hopLimit)
        return validator.validate(message: d.bytes[...], facts: facts)
    }
}
