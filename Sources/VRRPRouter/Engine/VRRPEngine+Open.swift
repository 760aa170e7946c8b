import NetworkModel
import HostNetwork
import VRRP

extension VRRPEngine {
    /// The interface, source address and sockets of one instance (its receive socket is the
    /// shared one of its interface, family and unicast source, opened by the first instance
    /// that needs it).
    func open(_ inst: VRRPInstanceConfig) throws(VRRPEngineError) -> VirtualRouter {
        var opened: ReceiverKey?
        do {
            let interface = try interface(named: inst.interface)
            let source = try sourceAddress(inst, interface)
            let key = ReceiverKey(family: inst.family, interfaceIndex: interface.index,
                                  unicastSource: inst.isUnicast ? source : nil)
            if receivers[key] == nil {
                receivers[key] = AdvertReceiver(key: key, socket: try VRRPReceiveSocket(
                    family: inst.family, interface: interface, unicastSource: key.unicastSource))
                opened = key
            }
            let sender = try sendSocket(SenderKey(family: inst.family, interfaceIndex: interface.index, unicast: inst.isUnicast),
                                        interface)
            let all = inst.virtualAddresses + inst.excludedAddresses
            let announcer = announcementSender(interface)
            for family in Set(all.map(\.address.family)) { try announcer.open(for: family) }
            let addresses = try all.map { v throws(HostNetworkError) in try interfaceAddress(v, default: interface) }
            logger.info("(\(inst.name)) on \(interface.name), source \(source), \(inst.isUnicast ? "unicast to \(inst.unicastPeers.map(\.description).joined(separator: ", "))" : "multicast"), VRRPv\(inst.version), priority \(inst.priority)")
            return VirtualRouter(config: inst, interface: interface, source: source, addresses: addresses,
                                 receiverKey: key, sender: sender, announcer: announcer)
        } catch {
            // A receive socket opened for this instance alone goes with it.
            if let opened { receivers[opened] = nil }
            throw VRRPEngineError(instance: inst.name, underlying: error)
        }
    }

    /// The send socket in use for `key`, or a new one.
    func sendSocket(_ key: SenderKey, _ interface: NetworkInterface) throws(HostNetworkError) -> AdvertSender {
        if let sender = senders[key]?.sender { return sender }
        let sender = AdvertSender(socket: try VRRPSendSocket(family: key.family, interface: interface, unicast: key.unicast))
        senders[key] = WeakAdvertSender(sender: sender)
        return sender
    }

    /// The announcement sockets in use on `interface`, or new (closed) ones.
    func announcementSender(_ interface: NetworkInterface) -> AnnouncementSender {
        if let sender = announcers[interface.index]?.sender { return sender }
        let sender = AnnouncementSender(interface: interface)
        announcers[interface.index] = WeakAnnouncementSender(sender: sender)
        return sender
    }

    /// `unicast_src_ip` (which must be on the interface), else the interface's primary IPv4
    /// address or IPv6 link-local address.
    func sourceAddress(_ inst: VRRPInstanceConfig, _ interface: NetworkInterface) throws(HostNetworkError) -> IPAddress {
        if let src = inst.unicastSource { return src }
        guard let a = try netlink.sourceAddress(interfaceIndex: interface.index, family: inst.family) else {
            throw HostNetworkError(code: .invalidValue, operation: .openVRRPSendSocket, object: "on \(interface.name)",
                                   step: "the interface has no \(inst.family == .inet ? "IPv4 address" : "IPv6 link-local address") to send adverts from")
        }
        return a
    }

    func interfaceAddress(_ v: VirtualAddress, default interface: NetworkInterface) throws(HostNetworkError) -> InterfaceAddress {
        let index = try v.device.map { d throws(HostNetworkError) in try self.interface(named: d).index } ?? interface.index
        let scope = v.scope ?? .global
        return InterfaceAddress(address: v.address, prefixLength: v.prefixLength, interfaceIndex: index,
                                label: v.label, scope: scope, broadcast: v.broadcast)
    }

    /// The interface from the engine's dump; one it has not seen is asked of the kernel (which
    /// also gives the error for a missing one).
    func interface(named name: String) throws(HostNetworkError) -> NetworkInterface {
        if let i = interfacesByName[name] { return i }
        let i = try netlink.interface(named: name)
        interfacesByName[name] = i
        return i
    }

    /// Link state of every interface, from a dump (at start, and after lost notifications).
    func refreshLinks() throws(VRRPEngineError) {
        do {
            interfacesByName = [:]
            for i in try netlink.interfaces() {
                linkRunning[i.name] = i.isRunning
                interfacesByName[i.name] = i
            }
        } catch {
            throw VRRPEngineError(instance: nil, underlying: error)
        }
    }
}
