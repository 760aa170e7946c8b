import Foundation
import Testing
import IPVS
@testable import IPVSRules
@_exported import RulesTestSupport

extension Fixture {
    /// The command table in the kernel's order, with the kernel's counters and connection
    /// counts read from the exact listings: everything needed to render every listing.
    func kernelTable() throws -> [ServiceEntry] {
        let table = try commandTable()
        let order = try KernelListing(try text("list-n-nosort"))
        let stats = try KernelListing(try text("list-n-stats-exact"))
        let rates = try KernelListing(try text("list-n-rate-exact"))
        let conns = try KernelListing(try text("list-n"))
        let persist = try KernelListing(try text("list-n-persistent-conn"))

        // The other listings are sorted: match their lines by name.
        func find(_ listing: KernelListing, _ what: String, _ service: String, _ dest: String? = nil) throws -> KernelListing.Line {
            guard let s = listing.services.first(where: { $0.name == service }) else {
                throw FixtureError("\(name): \(service) is not in the \(what) listing")
            }
            guard let dest else { return KernelListing.Line(name: s.name, fields: s.fields) }
            guard let d = s.destinations.first(where: { $0.name == dest }) else {
                throw FixtureError("\(name): \(dest) of \(service) is not in the \(what) listing")
            }
            return d
        }
        func five(_ line: KernelListing.Line, _ what: String) throws -> [UInt64] {
            guard line.numbers.count == 5 else { throw FixtureError("\(name): \(what): bad line \(line.name) \(line.fields)") }
            return line.numbers
        }

        var result: [ServiceEntry] = []
        for svc in order.services {
            guard var entry = table.first(where: { ListFormat.serviceName($0.service.key, numeric: true, resolver: NumericResolver()) == svc.name }) else {
                throw FixtureError("\(name): service '\(svc.name)' of the listing is not in the commands' table")
            }
            entry.stats = Stats(try five(find(stats, "stats", svc.name), "stats"), try five(find(rates, "rate", svc.name), "rate"))
            var dests: [DestinationEntry] = []
            for d in svc.destinations {
                guard var de = entry.destinations.first(where: {
                    ListFormat.destinationName($0.destination, proto: nil, numeric: true, resolver: NumericResolver()) == d.name
                }) else {
                    throw FixtureError("\(name): destination '\(d.name)' of \(svc.name) is not in the commands' table")
                }
                de.stats = Stats(try five(find(stats, "stats", svc.name, d.name), "stats"),
                                 try five(find(rates, "rate", svc.name, d.name), "rate"))
                // list-n: Forward Weight ActiveConn InActConn
                let c = try find(conns, "list-n", svc.name, d.name).fields
                // --persistent-conn: Weight PersistConn ActiveConn InActConn
                let p = try find(persist, "persistent-conn", svc.name, d.name).fields
                guard c.count == 4, p.count == 4, let active = UInt32(c[2]), let inactive = UInt32(c[3]),
                      let persistent = UInt32(p[1]) else {
                    throw FixtureError("\(name): bad connection counts for \(d.name): \(c) \(p)")
                }
                de.activeConnections = active
                de.inactiveConnections = inactive
                de.persistentConnections = persistent
                dests.append(de)
            }
            #expect(dests.count == entry.destinations.count, "\(name): \(svc.name) destination count")
            entry.destinations = dests
            result.append(entry)
        }
        #expect(result.count == table.count, "\(name): service count")
        return result
    }
}

extension Stats {
    /// Five counters from --stats and five rates from --rate.
    init(_ counters: [UInt64], _ rates: [UInt64]) {
        self.init()
        connections = counters[0]; inPackets = counters[1]; outPackets = counters[2]
        inBytes = counters[3]; outBytes = counters[4]
        connectionRate = rates[0]; inPacketRate = rates[1]; outPacketRate = rates[2]
        inByteRate = rates[3]; outByteRate = rates[4]
    }
}

/// The structure of an `ipvsadm -Ln ...` listing: service and destination lines, split
/// into the name column and the rest.
struct KernelListing {
    struct Line {
        var name: String
        var fields: [String]
        var numbers: [UInt64] { fields.compactMap { UInt64($0) } }
    }
    struct ServiceLines {
        var name: String
        var fields: [String]
        var destinations: [Line]
    }
    var services: [ServiceLines] = []

    init(_ text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // version line, two title lines
        for line in lines.dropFirst(3) where !line.isEmpty {
            let f = line.split(separator: " ").map(String.init)
            if line.hasPrefix("  -> ") {
                guard !services.isEmpty else { throw FixtureError("destination before a service: \(line)") }
                services[services.count - 1].destinations.append(Line(name: f[1], fields: Array(f.dropFirst(2))))
            } else if f[0] == "FWM" {
                let v6 = f.count > 2 && f[2] == "IPv6"
                let name = "FWM  \(f[1])" + (v6 ? " IPv6" : "")
                services.append(ServiceLines(name: name, fields: Array(f.dropFirst(v6 ? 3 : 2)), destinations: []))
            } else {
                let name = f[0].padding(toLength: 4, withPad: " ", startingAt: 0) + " " + f[1]
                services.append(ServiceLines(name: name, fields: Array(f.dropFirst(2)), destinations: []))
            }
        }
    }
}
