import Foundation
import Testing
@testable import HostNetwork
import NetworkModel

/// VRRP raw sockets between node namespaces on one bridge: what arrives, with which metadata.
@Suite(.enabled(if: TestEnvironment.canUseNamespaces, "needs root and network namespaces"))
struct VRRPSocketTests {
    /// A VRRPv2 advert's shape (VRID 51, prio 100, one address), opaque to these sockets.
    let advert: [UInt8] = [0x21, 51, 100, 1, 0, 1, 0, 0, 198, 51, 100, 39, 0, 0, 0, 0, 0, 0, 0, 0]
    let group4 = IPAddress.v4(224, 0, 0, 18)

    /// Receives until `count` datagrams arrived or `timeout` passed.
    func collect(_ socket: borrowing VRRPReceiveSocket, count: Int, timeout: Duration = .seconds(5)) throws -> [VRRPDatagram] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var all: [VRRPDatagram] = []
        while all.count < count, clock.now < deadline {
            guard waitReadable(socket.fileDescriptor, timeout: deadline - clock.now) else { break }
            all += try socket.receive()
        }
        return all
    }

    func sender(_ t: Topology, _ node: Int, _ family: AddressFamily, unicast: Bool) throws -> VRRPSendSocket {
        let eth0 = try t.eth0(node)
        return try NetworkNamespace.run(in: t.nodes[node]) { () throws(HostNetworkError) in
            try VRRPSendSocket(family: family, interface: eth0, unicast: unicast)
        }
    }

    func receiver(_ t: Topology, _ node: Int, _ family: AddressFamily, unicastSource: IPAddress? = nil) throws -> VRRPReceiveSocket {
        let eth0 = try t.eth0(node)
        return try NetworkNamespace.run(in: t.nodes[node]) { () throws(HostNetworkError) in
            try VRRPReceiveSocket(family: family, interface: eth0, unicastSource: unicastSource)
        }
    }

    @Test func ipv4MulticastArrivesWithHeaderTTLAndPacketInfo() throws {
        try Topology.with(nodes: 3) { t in
            let inB = try receiver(t, 1, .inet)
            let inA = try receiver(t, 0, .inet)
            let fromA = try sender(t, 0, .inet, unicast: false)
            let fromC = try sender(t, 2, .inet, unicast: false)
            #expect(try inB.receive().isEmpty)

            try fromA.send(ipv4Datagram(from: t.ipv4(0), to: group4, payload: advert), to: group4)
            let got = try collect(inB, count: 1)
            let d = try #require(got.first)
            #expect(got.count == 1)
            #expect(d.bytes.count == 20 + advert.count)
            #expect(Array(d.bytes[20...]) == advert)
            #expect(d.bytes[9] == 112 && d.bytes[1] == 0xc0)
            #expect(d.hopLimit == 255)
            #expect(d.source == t.ipv4(0))
            #expect(d.destination == group4 && d.isMulticast)
            #expect(d.interfaceIndex == (try t.eth0(1).index))
            #expect(!d.isTruncated)

            // IP_MULTICAST_LOOP 0: A does not hear itself. C's advert, sent after A's, is the
            // first thing A's receiver sees (a looped copy of A's own would be queued first).
            try fromC.send(ipv4Datagram(from: t.ipv4(2), to: group4, payload: advert), to: group4)
            let atA = try collect(inA, count: 1)
            #expect(atA.map(\.source) == [t.ipv4(2)])
        }
    }

    @Test func manyDatagramsAreDrainedPerWakeup() throws {
        try Topology.with(nodes: 2) { t in
            let inB = try receiver(t, 1, .inet)
            let fromA = try sender(t, 0, .inet, unicast: false)
            for prio in 1...20 as ClosedRange<UInt8> {
                var a = advert
                a[2] = prio
                try fromA.send(ipv4Datagram(from: t.ipv4(0), to: group4, payload: a), to: group4)
            }
            let got = try collect(inB, count: 20)
            #expect(got.map { $0.bytes[22] } == Array(1...20))
            #expect(try inB.receive(limit: 5).isEmpty)
        }
    }

    /// A master's adverts of one sweep go out as one batch (sendmmsg): every datagram arrives,
    /// in order, byte for byte; more than one call's worth (32) is split; a datagram the socket
    /// cannot send is reported by its index and the others still go.
    @Test func aBatchArrivesInOrderAndAFailureIsReportedByIndex() throws {
        try Topology.with(nodes: 2) { t in
            let inB = try receiver(t, 1, .inet)
            let fromA = try sender(t, 0, .inet, unicast: false)
            var batch = VRRPSendBatch()
            for prio in 1...40 as ClosedRange<UInt8> {
                var a = advert
                a[2] = prio
                batch.append(ipv4Datagram(from: t.ipv4(0), to: group4, payload: a), to: group4)
                if prio == 35 { batch.append(advert, to: IPAddress("ff02::12")!) }   // the wrong family
            }
            let failures = fromA.send(batch)
            #expect(failures.map(\.index) == [35])
            #expect(failures.first?.error.description == "send VRRP advertisement to ff02::12 on eth0: an IPv4 socket cannot send to ff02::12")
            let got = try collect(inB, count: 40)
            #expect(got.map { $0.bytes[22] } == Array(1...40))
            #expect(got.allSatisfy { $0.source == t.ipv4(0) && $0.hopLimit == 255 && Array($0.bytes[20...]).count == advert.count })

            // The same batch storage, emptied, serves the next one.
            batch.removeAll()
            #expect(batch.isEmpty && batch.destinationAddresses.isEmpty)
            batch.append(ipv4Datagram(from: t.ipv4(0), to: group4, payload: advert), to: group4)
            #expect(fromA.send(batch).isEmpty)
            #expect(try collect(inB, count: 1).map { Array($0.bytes[20...]) } == [advert])
        }
    }

    @Test func ipv4UnicastToTheBoundSource() throws {
        try Topology.with(nodes: 2) { t in
            let inB = try receiver(t, 1, .inet, unicastSource: t.ipv4(1))
            let fromA = try sender(t, 0, .inet, unicast: true)
            try fromA.sendAdvertisement(advert, from: t.ipv4(0), to: t.ipv4(1))
            let d = try #require(try collect(inB, count: 1).first)
            #expect(Array(d.bytes[20...]) == advert)
            #expect(d.hopLimit == 255 && d.source == t.ipv4(0) && d.destination == t.ipv4(1) && !d.isMulticast)

            let notHere = IPAddress.v4(198, 51, 100, 99)
            let error = hostError { _ = try receiver(t, 1, .inet, unicastSource: notHere) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.description == "open VRRP receive socket on eth0: bind 198.51.100.99: Cannot assign requested address")
        }
    }

    @Test func ipv6MulticastWithHopLimitAndKernelChecksum() throws {
        try Topology.with(nodes: 2) { t in
            let group6 = try #require(IPAddress("ff02::12"))
            let linkLocalA = try #require(try t.route(0).sourceAddress(interfaceIndex: t.eth0(0).index, family: .inet6))
            let inB = try receiver(t, 1, .inet6)
            let fromA = try sender(t, 0, .inet6, unicast: false)
            let v3: [UInt8] = [0x31, 51, 100, 1, 0, 100, 0, 0] + IPAddress("2001:db8::39")!.bytes
            try fromA.send(v3, to: group6, from: linkLocalA)
            let d = try #require(try collect(inB, count: 1).first)
            #expect(d.bytes.count == v3.count)
            #expect(Array(d.bytes[0..<6]) == Array(v3[0..<6]) && Array(d.bytes[8...]) == Array(v3[8...]))
            #expect(d.hopLimit == 255)
            #expect(d.source == linkLocalA && d.destination == group6)
            #expect(d.interfaceIndex == (try t.eth0(1).index))
            // IPV6_CHECKSUM: the kernel wrote the RFC 5798 checksum (IPv6 pseudo-header) at offset 6.
            let pseudo = linkLocalA.bytes + group6.bytes + [0, 0, 0, UInt8(d.bytes.count), 0, 0, 0, 112]
            #expect(InternetChecksum.of(pseudo + d.bytes) == 0)
            #expect(d.bytes[6] != 0 || d.bytes[7] != 0)

            // A batch (sendmmsg) carries each datagram's source (IPV6_PKTINFO) and the scope.
            var batch = VRRPSendBatch()
            for vrid in [61, 62] as [UInt8] {
                var m = v3
                m[1] = vrid
                batch.append(m, to: group6, from: linkLocalA)
            }
            #expect(fromA.send(batch).isEmpty)
            let both = try collect(inB, count: 2)
            #expect(both.map { $0.bytes[1] } == [61, 62])
            #expect(both.allSatisfy { $0.source == linkLocalA && $0.destination == group6 && $0.hopLimit == 255 })
        }
    }

    @Test func ipv6UnicastBetweenLinkLocalsWithKernelOrConfiguredHopLimit() throws {
        try Topology.with(nodes: 2) { t in
            let eth0A = try t.eth0(0), eth0B = try t.eth0(1)
            let linkLocalA = try #require(try t.route(0).sourceAddress(interfaceIndex: eth0A.index, family: .inet6))
            let linkLocalB = try #require(try t.route(1).sourceAddress(interfaceIndex: eth0B.index, family: .inet6))
            let inB = try receiver(t, 1, .inet6, unicastSource: linkLocalB)
            let plain = try sender(t, 0, .inet6, unicast: true)
            let hops255 = try NetworkNamespace.run(in: t.nodes[0]) { () throws(HostNetworkError) in
                try VRRPSendSocket(family: .inet6, interface: eth0A, unicast: true, unicastHopLimit: 255)
            }
            let v3: [UInt8] = [0x31, 52, 100, 1, 0, 100, 0, 0] + IPAddress("2001:db8::39")!.bytes
            try plain.sendAdvertisement(v3, from: linkLocalA, to: linkLocalB)
            try hops255.sendAdvertisement(v3, from: linkLocalA, to: linkLocalB)
            let got = try collect(inB, count: 2)
            #expect(got.map(\.hopLimit) == [64, 255])   // the namespace's default, then unicast_ttl 255
            #expect(got.allSatisfy { $0.source == linkLocalA && $0.destination == linkLocalB && !$0.isMulticast })
        }
    }
}
