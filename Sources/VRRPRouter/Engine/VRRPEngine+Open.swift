import NetworkModel
import HostNetwork
import VRRP

extension VRRPEngine {
    /// The interface, source address and sockets of one instance.
    func open(_ inst: VRRPInstanceConfig) throws(VRRPEngineError) -> VirtualRouter {
        do {
            let interface = try netlink.interface(named: inst.interface)
            let source = try sourceAddress(inst, interface)
            let receiver = try VRRPReceiveSocket(family: inst.family, interface: interface,
                                                 unicastSource: inst.isUnicast ? source : nil)
            let sender = try VRRPSendSocket(family: inst.family, interface: interface, unicast: inst.isUnicast)
            let all = inst.virtualAddresses + inst.excludedAddresses
            let arp = all.contains { $0.address.family == .inet } ? try GratuitousARPSender(interface: interface) : nil
            let nd = all.contains { $0.address.family == .inet6 } ? try NeighborAdvertisementSender(interface: interface) : nil
            let addresses = try all.map { v throws(HostNetworkError) in try interfaceAddress(v, default: interface) }
            logger.info("(\(inst.name)) on \(interface.name), source \(source), \(inst.isUnicast ? "unicast to \(inst.unicastPeers.map(\.description).joined(separator: ", "))" : "multicast"), VRRPv\(inst.version), priority \(inst.priority)")
            return VirtualRouter(config: inst, interface: interface, source: source, addresses: addresses,
                                 receiver: receiver, sender: sender, arp: arp, neighbor: nd)
        } catch {
            throw VRRPEngineError(instance: inst.name, underlying: error)
        }
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
        let index = try v.device.map { d throws(HostNetworkError) in try netlink.interface(named: d).index } ?? interface.index
        let scope = v.scope.flatMap { AddressScope(name: $0.rawValue) } ?? .global
        return InterfaceAddress(address: v.address, prefixLength: v.prefixLength, interfaceIndex: index,
                                label: v.label, scope: scope, broadcast: v.broadcast)
    }

    /// Link state of every interface, from a dump (at start, and after lost notifications).
    func refreshLinks() throws(VRRPEngineError) {
        do {
            for i in try netlink.interfaces() { linkRunning[i.name] = i.isRunning }
        } catch {
            throw VRRPEngineError(instance: nil, underlying: error)
        }
    }
}
