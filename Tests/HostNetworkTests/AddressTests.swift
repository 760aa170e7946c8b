import Foundation
import Testing
@testable import HostNetwork
import NetworkModel

/// Interfaces and addresses through rtnetlink, checked with `ip -n NS`.
@Suite(.enabled(if: TestEnvironment.canUseNamespaces, "needs root and network namespaces"))
struct AddressTests {
    @Test func interfaceLookupMatchesIp() throws {
        try Topology.with(nodes: 1) { t in
            let route = try t.route(0)
            let eth0 = try route.interface(named: "eth0")
            let shown = try t.ip(node: 0, "-o", "link", "show", "eth0")
            #expect(shown.hasPrefix("\(eth0.index): eth0@"))
            #expect(shown.contains("link/ether \(try #require(eth0.macAddress))"))
            #expect(eth0.isUp)
            #expect(try route.interface(index: eth0.index).name == "eth0")
            #expect(try route.sourceAddress(interfaceIndex: eth0.index, family: .inet) == t.ipv4(0))
            let linkLocal = try #require(try route.sourceAddress(interfaceIndex: eth0.index, family: .inet6))
            #expect(shown.isEmpty == false && linkLocal.bytes[0] == 0xfe)

            let missing = hostError { _ = try route.interface(named: "eth9") }
            #expect(missing?.code == .noSuchInterface)
            #expect(missing?.description == "find interface eth9: No such device")
        }
    }

    @Test func addAndDeleteIPv4WithLabelAndBroadcast() throws {
        try Topology.with(nodes: 1) { t in
            let route = try t.route(0)
            let eth0 = try route.interface(named: "eth0")
            let vip = InterfaceAddress(address: .v4(198, 51, 100, 39), prefixLength: 24, interfaceIndex: eth0.index,
                                       label: "eth0:vip", broadcast: .v4(198, 51, 100, 255))
            try route.addAddress(vip)
            let shown = try t.ip(node: 0, "-o", "-4", "addr", "show", "dev", "eth0")
            #expect(shown.contains("inet 198.51.100.39/24 brd 198.51.100.255 scope global secondary eth0:vip"))
            #expect(try route.addresses(family: .inet, interfaceIndex: eth0.index).contains { $0.address == vip.address && $0.isSecondary })

            let duplicate = hostError { try route.addAddress(vip) }
            #expect(duplicate?.code == .addressExists)
            #expect(duplicate?.errno == .fileExists)
            #expect(duplicate?.description == "add address 198.51.100.39/24 to eth0: File exists")
            #expect(duplicate?.detailedDescription == "add address 198.51.100.39/24 to eth0: File exists (ipv4: Address already assigned)")
            #expect(try route.addAddressIfAbsent(vip) == false)

            try route.deleteAddress(vip)
            #expect(try !t.ip(node: 0, "-o", "-4", "addr", "show", "dev", "eth0").contains("198.51.100.39"))
            let missing = hostError { try route.deleteAddress(vip) }
            #expect(missing?.code == .addressNotPresent)
            #expect(missing?.description == "delete address 198.51.100.39/24 from eth0: Cannot assign requested address")
            #expect(try route.deleteAddressIfPresent(vip) == false)
            #expect(try route.addAddressIfAbsent(vip) == true)
            #expect(try route.deleteAddressIfPresent(vip) == true)
        }
    }

    @Test func addAndDeleteIPv6WithoutDAD() throws {
        try Topology.with(nodes: 1) { t in
            let route = try t.route(0)
            let eth0 = try route.interface(named: "eth0")
            let vip = InterfaceAddress(address: try #require(IPAddress("2001:db8::39")), prefixLength: 64, interfaceIndex: eth0.index)
            try route.addAddress(vip)
            let shown = try t.ip(node: 0, "-o", "-6", "addr", "show", "dev", "eth0")
            #expect(shown.contains("inet6 2001:db8::39/64 scope global nodad"))
            #expect(!shown.contains("tentative"))
            #expect(hostError { try route.addAddress(vip) }?.code == .addressExists)
            try route.deleteAddress(vip)
            #expect(try !t.ip(node: 0, "-o", "-6", "addr", "show", "dev", "eth0").contains("2001:db8::39"))
            #expect(hostError { try route.deleteAddress(vip) }?.code == .addressNotPresent)
        }
    }

    @Test func missingInterfaceIsReported() throws {
        try Topology.with(nodes: 1) { t in
            let route = try t.route(0)
            let vip = InterfaceAddress(address: .v4(198, 51, 100, 39), prefixLength: 24, interfaceIndex: 9999)
            let error = hostError { try route.addAddress(vip) }
            #expect(error?.code == .noSuchInterface)
            #expect(error?.errno == .operationNotSupportedByDevice)
            #expect(error?.description == "add address 198.51.100.39/24 to interface index 9999: No such device")
            #expect(error?.kernelMessage == "ipv4: Device not found")
        }
    }

    @Test func namespaceThatDoesNotExist() {
        let error = hostError { _ = try NetworkNamespace.run(in: "hn-absent-\(getpid())") { () throws(HostNetworkError) in try RouteNetlink() } }
        #expect(error?.code == .namespace)
        #expect(error?.description == "enter network namespace hn-absent-\(getpid()): open /run/netns/hn-absent-\(getpid()): No such file or directory")
    }
}
