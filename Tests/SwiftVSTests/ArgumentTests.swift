import ArgumentParser
import Foundation
import IPVS
import IPVSRules
import Testing
@testable import swiftvs

/// Parses a command line as `swiftvs` does (bare `-p` included) and returns the one table
/// command it stands for. Validation errors are thrown, as `swiftvs` sees them.
private func action(_ args: String...) throws -> RuleAction {
    let command = try SwiftVS.parseAsRoot(normalizedArguments(args))
    let table = try #require(command as? any TableCommand, "\(type(of: command)) is not a table command")
    return try table.action()
}

/// The diagnostics of a command line the rules parser rejects.
private func diagnostics(_ args: String...) throws -> [Diagnostic] {
    let command = try SwiftVS.parseAsRoot(normalizedArguments(args))
    let table = try #require(command as? any TableCommand)
    do {
        let a = try table.action()
        Issue.record("accepted: \(a)")
        return []
    } catch {
        return error.diagnostics
    }
}

/// The message `swiftvs` prints for a usage error, which exits 2.
private func usageError(_ args: String...) -> String? {
    do {
        _ = try SwiftVS.parseAsRoot(normalizedArguments(args))
        return nil
    } catch {
        #expect(SwiftVS.exitCode(for: error) == .validationFailure, "\(error)")
        return SwiftVS.message(for: error)
    }
}

private let vip = IPAddress("192.0.2.100")!
private let rs1 = IPAddress("192.0.2.11")!
private let tcp80 = ServiceKey.address(.tcp, vip, port: 80)

@Suite("swiftvs arguments")
struct ArgumentTests {
    // MARK: services

    @Test func addServiceDefaultsAreIpvsadms() throws {
        #expect(try action("add-service", "-t", "192.0.2.100:80") == .change(.addService(Service(key: tcp80, scheduler: "wlc"))))
        #expect(try action("add-service", "--tcp-service", "192.0.2.100:http", "-s", "rr")
                == .change(.addService(Service(key: tcp80, scheduler: "rr"))))
    }

    @Test func everyKindOfService() throws {
        let v6 = IPAddress("2001:db8::10")!
        #expect(try action("add-service", "-u", "[2001:db8::10]:53", "-s", "wrr")
                == .change(.addService(Service(key: .address(.udp, v6, port: 53), scheduler: "wrr"))))
        #expect(try action("add-service", "--sctp-service", "192.0.2.100:5060", "-s", "lc")
                == .change(.addService(Service(key: .address(.sctp, vip, port: 5060), scheduler: "lc"))))
        #expect(try action("add-service", "-f", "80", "-s", "lc")
                == .change(.addService(Service(key: .fwmark(80, family: .inet), scheduler: "lc"))))
        #expect(try action("add-service", "--fwmark-service", "80", "-6", "-s", "lc")
                == .change(.addService(Service(key: .fwmark(80, family: .inet6), scheduler: "lc", netmask: 128))))
    }

    @Test func persistenceNetmaskFlagsOpsAndPE() throws {
        var s = Service(key: tcp80)
        s.persistence = 360
        #expect(try action("add-service", "-t", "192.0.2.100:80", "-p") == .change(.addService(s)), "bare -p is 360 s")
        #expect(try action("add-service", "-p", "-t", "192.0.2.100:80") == .change(.addService(s)), "bare -p before another option")
        s.persistence = 600
        s.netmask = 0xFFFF_FF00
        #expect(try action("add-service", "-t", "192.0.2.100:80", "-p", "600", "-M", "255.255.255.0") == .change(.addService(s)))
        #expect(try action("add-service", "-t", "192.0.2.100:80", "--persistent=600", "--netmask", "255.255.255.0") == .change(.addService(s)))

        var u = Service(key: .address(.udp, vip, port: 5060), scheduler: "sh", flags: [.onePacket, .schedulerFlag1, .schedulerFlag2])
        u.persistence = 360
        u.persistenceEngine = "sip"
        #expect(try action("add-service", "-u", "192.0.2.100:5060", "-s", "sh", "-b", "sh-fallback,sh-port", "-o", "-p", "--pe", "sip")
                == .change(.addService(u)))
    }

    @Test func editAndDeleteService() throws {
        #expect(try action("edit-service", "-t", "192.0.2.100:80", "-s", "lc") == .change(.editService(Service(key: tcp80, scheduler: "lc"))))
        #expect(try action("delete-service", "-f", "80") == .change(.deleteService(.fwmark(80, family: .inet))))
        #expect(try action("delete-service", "-f", "80", "-6", "--keep-marks") == .change(.deleteService(.fwmark(80, family: .inet6))))
    }

    // MARK: real servers

    @Test func addServerDefaultsAreIpvsadms() throws {
        // Direct routing, weight 1, and the service's port for a DR server of a port service.
        #expect(try action("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11")
                == .change(.addDestination(Destination(address: rs1, port: 80, forwarding: .directRouting, weight: 1), to: tcp80)))
        // A firewall-mark service has no port: the server gets 0.
        #expect(try action("add-server", "-f", "80", "-r", "192.0.2.11", "-g")
                == .change(.addDestination(Destination(address: rs1, port: 0), to: .fwmark(80, family: .inet))))
    }

    @Test func forwardingMethodsWeightsAndThresholds() throws {
        #expect(try action("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11:8080", "-m", "-w", "3", "-x", "100", "-y", "10")
                == .change(.addDestination(Destination(address: rs1, port: 8080, forwarding: .masquerade, weight: 3,
                                               upperThreshold: 100, lowerThreshold: 10), to: tcp80)))
        #expect(try action("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-i")
                == .change(.addDestination(Destination(address: rs1, port: 80, forwarding: .tunnel(Tunnel())), to: tcp80)))
        #expect(try action("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "--ipip", "--tun-type", "gue",
                           "--tun-port", "6080", "--tun-remcsum")
                == .change(.addDestination(Destination(address: rs1, port: 80,
                                               forwarding: .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .remote))), to: tcp80)))
        #expect(try action("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-i", "--tun-type", "gre", "--tun-csum")
                == .change(.addDestination(Destination(address: rs1, port: 80,
                                               forwarding: .tunnel(Tunnel(kind: .gre, checksum: .checksum))), to: tcp80)))
        let v6 = IPAddress("2001:db8::5")!
        #expect(try action("add-server", "-t", "[2001:db8::10]:443", "-r", "[2001:db8::5]:8443", "-m", "-w", "0")
                == .change(.addDestination(Destination(address: v6, port: 8443, forwarding: .masquerade, weight: 0),
                                   to: .address(.tcp, IPAddress("2001:db8::10")!, port: 443))))
    }

    @Test func editAndDeleteServer() throws {
        #expect(try action("edit-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-w", "0")
                == .change(.editDestination(Destination(address: rs1, port: 80, weight: 0), in: tcp80)))
        #expect(try action("delete-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11:80")
                == .change(.deleteDestination(DestinationKey(address: rs1, port: 80), from: tcp80)))
    }

    // MARK: the rest

    @Test func clearZeroTimeoutsAndSyncDaemons() throws {
        #expect(try action("clear") == .change(.flush))
        #expect(try action("zero") == .change(.zero(nil)))
        #expect(try action("zero", "-f", "80") == .change(.zero(.fwmark(80, family: .inet))))
        #expect(try action("set-timeouts", "900", "120", "300") == .setTimeouts(Timeouts(tcp: 900, tcpFin: 120, udp: 300)))
        #expect(try action("start-daemon", "master", "--mcast-interface", "eth1", "--syncid", "5")
                == .startDaemon(SyncDaemon(role: .master, interface: "eth1", syncID: 5)))
        #expect(try action("stop-daemon", "backup") == .stopDaemon(.backup))
    }

    @Test func everyOptionHasTheNetnsOption() throws {
        for args in [["add-service", "-f", "1"], ["add-server", "-f", "1", "-r", "192.0.2.11"], ["clear"], ["zero"],
                     ["list"], ["save"], ["restore"], ["set-timeouts", "1", "2", "3"], ["info"], ["delete-service", "-f", "1"]] {
            let command = try SwiftVS.parseAsRoot(args + ["--netns", "blue"])
            let mirror = Mirror(reflecting: command)
            let common = mirror.children.compactMap { ($0.value as? OptionGroup<CommonOptions>)?.wrappedValue }.first
            #expect(common?.namespace == "blue", "\(args)")
        }
    }

    // MARK: bad input

    @Test func usageErrorsSayWhatIsWrong() {
        #expect(usageError("add-service", "-s", "rr")?.contains("Missing the service") == true)
        #expect(usageError("add-service", "-t", "192.0.2.100:80", "-f", "80")?.contains("Give one service") == true)
        #expect(usageError("add-service", "-t", "192.0.2.100:80", "-6")?.contains("-6 applies to a firewall-mark service") == true)
        #expect(usageError("add-server", "-f", "80", "-r", "192.0.2.11", "-g", "-m")?.contains("one forwarding method") == true)
        #expect(usageError("add-server", "-f", "80", "-r", "192.0.2.11", "-i", "--tun-csum", "--tun-nocsum") != nil)
        #expect(usageError("add-server", "-f", "80")?.contains("-r") == true, "the real server is required")
        #expect(usageError("add-service", "-t", "192.0.2.100:80", "--vip", "192.0.2.100")?.contains("with -f") == true)
        #expect(usageError("add-service", "-f", "80", "--vip-protocol", "tcp")?.contains("go with --vip") == true)
        #expect(usageError("set-timeouts", "1", "2") != nil)
        #expect(usageError("frobnicate") != nil)
    }

    @Test func badValuesNameTheArgument() throws {
        var d = try diagnostics("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11:99999")
        #expect(d.count == 1)
        #expect(d.first?.token.contains("99999") == true, "\(d)")
        d = try diagnostics("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-w", "70000")
        #expect(d.first?.token == "70000", "\(d)")
        #expect(d.first?.message.contains("weight") == true, "\(d)")
        d = try diagnostics("add-service", "-t", "192.0.2.300:80")
        #expect(d.first?.token.contains("192.0.2.300") == true, "\(d)")
        d = try diagnostics("add-service", "-f", "0")
        #expect(!d.isEmpty, "fwmark 0 is no service")
        d = try diagnostics("add-service", "-f", "80", "-6", "-p", "60", "-M", "129")
        #expect(d.first?.token == "129", "\(d)")
        d = try diagnostics("add-service", "-t", "192.0.2.100:80", "-s", "")
        #expect(!d.isEmpty, "an empty scheduler name")
        d = try diagnostics("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-i", "--tun-type", "vxlan")
        #expect(d.first?.token == "vxlan", "\(d)")
        d = try diagnostics("set-timeouts", "900", "x", "300")
        #expect(d.first?.token == "x", "\(d)")
    }
}

/// The built binary on this host (no IPVS here): exit 2 for bad input before anything is
/// opened, exit 1 with the reason when the kernel side is missing.
@Suite("swiftvs exit status")
struct ExitStatusTests {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("swiftvs").path
    }

    static func swiftvs(_ args: String...) throws -> (status: Int32, stderr: String) { try swiftvs(args) }

    @Test func badInputExitsTwoWithTheArgument() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build swiftvs first")
        var r = try Self.swiftvs("add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-w", "70000")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("swiftvs add-server: "), "\(r.stderr)")
        #expect(r.stderr.contains("'70000'"), "\(r.stderr)")
        r = try Self.swiftvs("add-service", "-t", "192.0.2.100:80", "-u", "192.0.2.100:53")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("Error: Give one service"), "\(r.stderr)")
        r = try Self.swiftvs("no-such-command")
        #expect(r.status == 2)
    }

    /// A namespace that does not exist: exit 1 with what and where, on any kernel.
    @Test func missingNamespaceExitsOne() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build swiftvs first")
        let r = try Self.swiftvs("list", "-n", "--netns", "swvs-no-such-ns")
        #expect(r.status == 1)
        #expect(r.stderr.contains("swvs-no-such-ns"), "\(r.stderr)")
    }

    /// This host has no IPVS: valid commands say so and exit 1.
    @Test(.enabled(if: access("/proc/net/ip_vs", F_OK) != 0 && access("/sys/module/ip_vs", F_OK) != 0,
                   "needs a kernel without IPVS (the host; the VM has ip_vs loaded)"))
    func withoutIPVSTheReasonIsGiven() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build swiftvs first")
        for args in [["info"], ["list", "-n"], ["save", "-n"], ["add-service", "-f", "80", "-s", "lc"],
                     ["add-server", "-f", "80", "-r", "192.0.2.11"], ["edit-server", "-f", "80", "-r", "192.0.2.11", "-w", "2"],
                     ["delete-server", "-f", "80", "-r", "192.0.2.11"], ["edit-service", "-f", "80", "-s", "rr"],
                     ["clear"], ["zero"], ["set-timeouts", "1", "2", "3"], ["stop-daemon", "master"]] {
            let p = try Self.swiftvs(args)
            #expect(p.status == 1, "\(args)")
            #expect(p.stderr.hasPrefix("swiftvs: open IPVS: IPVS is not available (is the ip_vs module loaded?)"), "\(args): \(p.stderr)")
            #expect(p.stderr.contains("hint: load the module with 'modprobe ip_vs'"), "\(args): \(p.stderr)")
        }
    }
}

extension ExitStatusTests {
    static func swiftvs(_ args: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self))
    }
}
