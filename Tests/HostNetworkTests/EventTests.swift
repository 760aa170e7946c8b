import Foundation
import Testing
@testable import HostNetwork
import NetworkModel

/// Link and address notifications, awaited on the socket's descriptor (poll), never slept for.
@Suite(.enabled(if: TestEnvironment.canUseNamespaces, "needs root and network namespaces"))
struct EventTests {
    /// Receives until an event satisfies `match` or `timeout` passes; returns it.
    func awaitEvent(_ events: borrowing RouteEventSocket, timeout: Duration = .seconds(5),
               _ match: (RouteEvent) -> Bool) throws -> RouteEvent? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            guard waitReadable(events.fileDescriptor, timeout: deadline - clock.now) else { return nil }
            for event in try events.receive() where match(event) { return event }
        }
        return nil
    }

    @Test func vethDownAndUpProduceLinkEvents() throws {
        try Topology.with(nodes: 1) { t in
            let events = try NetworkNamespace.run(in: t.nodes[0]) { () throws(HostNetworkError) in try RouteEventSocket() }
            #expect(try events.receive().isEmpty)   // nothing queued, and no blocking
            let index = try t.eth0(0).index

            try t.ip(node: 0, "link", "set", "eth0", "down")
            let down = try awaitEvent(events) { if case let .link(l) = $0 { l.name == "eth0" && !l.isUp } else { false } }
            guard case let .link(d)? = down else { Issue.record("no link-down event for eth0"); return }
            #expect(d.index == index && !d.isRunning && !d.isDeleted)

            try t.ip(node: 0, "link", "set", "eth0", "up")
            let up = try awaitEvent(events) { if case let .link(l) = $0 { l.name == "eth0" && l.isUp && l.isRunning } else { false } }
            guard case let .link(u)? = up else { Issue.record("no link-up (running) event for eth0"); return }
            #expect(u.hasCarrier && u.index == index)

            // The peer going down takes the carrier away: eth0 stays up but stops running.
            try ipTool("-n", t.bridge, "link", "set", "p0", "down")
            let lost = try awaitEvent(events) { if case let .link(l) = $0 { l.name == "eth0" && l.isUp && !l.isRunning } else { false } }
            #expect(lost != nil, "no carrier-loss event for eth0")

            try ipTool("-n", t.bridge, "link", "del", "p0")
            let gone = try awaitEvent(events) { if case let .link(l) = $0 { l.index == index && l.isDeleted } else { false } }
            #expect(gone != nil, "no RTM_DELLINK for eth0 when its veth pair was deleted")
        }
    }

    @Test func addressChangesProduceAddressEvents() throws {
        try Topology.with(nodes: 1) { t in
            let events = try NetworkNamespace.run(in: t.nodes[0]) { () throws(HostNetworkError) in try RouteEventSocket() }
            let route = try t.route(0)
            let eth0 = try route.interface(named: "eth0")
            let v4 = InterfaceAddress(address: .v4(198, 51, 100, 39), prefixLength: 24, interfaceIndex: eth0.index)
            let v6 = InterfaceAddress(address: try #require(IPAddress("2001:db8::39")), prefixLength: 64, interfaceIndex: eth0.index)
            for vip in [v4, v6] {
                try route.addAddress(vip)
                let added = try awaitEvent(events) { if case let .address(a) = $0 { a.address.address == vip.address && !a.isDeleted } else { false } }
                guard case let .address(a)? = added else { Issue.record("no RTM_NEWADDR for \(vip)"); continue }
                #expect(a.address.prefixLength == vip.prefixLength && a.address.interfaceIndex == eth0.index)
                try route.deleteAddress(vip)
                let deleted = try awaitEvent(events) { if case let .address(a) = $0 { a.address.address == vip.address && a.isDeleted } else { false } }
                #expect(deleted != nil, "no RTM_DELADDR for \(vip)")
            }
        }
    }

    @Test func overflowIsReportedAndTheSocketKeepsWorking() throws {
        try Topology.with(nodes: 1) { t in
            // The smallest buffer the kernel allows holds a handful of notifications.
            let events = try NetworkNamespace.run(in: t.nodes[0]) { () throws(HostNetworkError) in
                try RouteEventSocket(receiveBufferSize: 1)
            }
            let route = try t.route(0)
            let index = try route.interface(named: "eth0").index
            for i in 0..<200 {
                try route.addAddress(InterfaceAddress(address: .v4(203, 0, 113, UInt8(i + 1)), prefixLength: 32, interfaceIndex: index))
            }
            var batch = try events.receive()
            #expect(batch.last == .overflow)
            #expect(batch.dropLast().allSatisfy { if case .address = $0 { true } else { false } })
            // Resynchronise by a dump, then keep receiving on the same socket.
            #expect(try route.addresses(family: .inet, interfaceIndex: index).count == 201)
            while !batch.isEmpty { batch = try events.receive().filter { $0 != .overflow } }
            try route.deleteAddress(InterfaceAddress(address: .v4(203, 0, 113, 1), prefixLength: 32, interfaceIndex: index))
            let deleted = try awaitEvent(events) {
                if case let .address(a) = $0 { a.isDeleted && a.address.address == .v4(203, 0, 113, 1) } else { false }
            }
            #expect(deleted != nil)
        }
    }
}
