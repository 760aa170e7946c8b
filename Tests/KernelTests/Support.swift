import Synchronization
import Foundation
import Testing
import IPVS
@_exported import TestSupport

/// Every kernel suite nests in this one: they share the VM's single IPVS table, so they
/// run one test at a time, never two suites at once. Outside the VM they are reported as
/// skipped (the trait is inherited by every nested suite), never as passed.
@Suite(.serialized, .enabled(if: KernelVM.available, KernelVM.reason)) enum Kernel {}

/// Whether the kernel suites can run here: inside the throwaway VM (Scripts/vm-run sets
/// SWIFTVS_IN_VM=1), as root, with ip_vs loaded. They rebuild the root namespace's IPVS
/// table and network (bridges, dummies, routes), which no real machine should be given.
enum KernelVM {
    static let available = ProcessInfo.processInfo.environment["SWIFTVS_IN_VM"] == "1" && getuid() == 0
        && access("/proc/net/ip_vs", F_OK) == 0
    static let reason: Comment = "kernel tests run only inside the VM (Scripts/vm-run or Scripts/test --kernel-only: SWIFTVS_IN_VM=1, root, ip_vs loaded)"
}

/// Runs a program without a shell and returns its exit status and output.
@discardableResult
func run(_ argv: [String], input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let r = try TestProcess.run(argv, input: input)
    return (r.status, r.stdout, r.stderr)
}

/// Runs a shell snippet that must succeed (test set-up only).
func sh(_ script: String) throws {
    let r = try run(["/bin/sh", "-ec", script])
    if r.status != 0 {
        throw SetupError(message: "set-up failed (\(r.status)): \(script)\n\(r.stderr)")
    }
}

/// `ipvsadm-save -n`, the reference the binding is checked against.
func ipvsadmSave(namespace: String? = nil) throws -> String {
    let argv = (namespace.map { ["/usr/sbin/ip", "netns", "exec", $0] } ?? []) + ["/usr/sbin/ipvsadm-save", "-n"]
    let r = try run(argv)
    #expect(r.status == 0, "ipvsadm-save failed: \(r.stderr)")
    return r.stdout
}

func ipvsadm(_ args: String...) throws -> (status: Int32, stdout: String, stderr: String) {
    try run(["/usr/sbin/ipvsadm"] + args)
}

/// One-time VM network set-up: routes for the documentation ranges, so IPVS accepts
/// direct-routing destinations there ("address not unicast" otherwise).
let networkReady: Void = {
    try? sh("""
        ip link show swvs0 >/dev/null 2>&1 || {
          ip link add swvs0 type dummy
          ip link set swvs0 up
          ip addr add 192.0.2.1/24 dev swvs0
          ip addr add 198.51.100.1/24 dev swvs0
          ip -6 addr add 2001:db8::1/64 dev swvs0 nodad
        }
        """)
}()

/// A handle on a flushed table, with the test network in place.
func freshTable() throws -> IPVSHandle {
    _ = networkReady
    let ipvs = try IPVSHandle()
    try ipvs.flush()
    try ipvs.setTimeouts(kernelDefaultTimeouts)
    return ipvs
}

/// The kernel's own connection timeouts (tcp 900 s, tcpfin 120 s, udp 300 s). The suites share
/// the VM's IPVS, and some set others (the `timeouts` fixture leaves tcp 100 s and udp 30 s):
/// every suite starts from these, or a later one's connection entries expire under it.
let kernelDefaultTimeouts = Timeouts(tcp: 900, tcpFin: 120, udp: 300)

let vip4 = IPAddress("192.0.2.100")!
let vip6 = IPAddress("2001:db8::100")!
func rs(_ n: Int) -> IPAddress { IPAddress("192.0.2.\(10 + n)")! }
/// 2001:db8::11, ::12, … (the same digits as the IPv4 real servers).
func rs6(_ n: Int) -> IPAddress { IPAddress("2001:db8::\(10 + n)")! }

/// A client in its own network namespace, routed to the VM's root namespace (the director)
/// over a veth pair: 203.0.113.2 (client) -> 203.0.113.1 (director).
struct ClientNamespace {
    let name: String
    let hostVeth: String

    init(tag: String) throws {
        name = "swvs-\(tag)-\(getpid())"
        hostVeth = "swvs\(tag.prefix(6))"
        try sh("""
            ip netns add \(name)
            ip link add \(hostVeth) type veth peer name eth0 netns \(name)
            ip addr add 203.0.113.1/24 dev \(hostVeth)
            ip link set \(hostVeth) up
            ip -n \(name) addr add 203.0.113.2/24 dev eth0
            ip -n \(name) link set eth0 up
            ip -n \(name) link set lo up
            ip -n \(name) route add default via 203.0.113.1
            """)
    }

    /// `count` UDP datagrams to address:port, each from a new source port.
    ///
    /// The source ports are chosen here, never twice in a process: a port the kernel picked at
    /// random could repeat one whose connection entry is still alive, and IPVS would count one
    /// connection less (about one run in fifty).
    func sendUDP(to address: String, port: UInt16, count: Int) throws {
        let first = SourcePorts.take(count)
        try sh("""
            ip netns exec \(name) /usr/bin/python3 -c 'import socket, sys
            for i in range(\(count)):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("", \(first) + i))
                s.sendto(b"swiftvs-%d\\n" % (i + 1), ("\(address)", \(port)))
                s.close()'
            """)
    }

    func remove() {
        try? sh("ip netns del \(name); ip link del \(hostVeth) 2>/dev/null || true")
    }
}

/// Source ports for the client's datagrams: 20000 upward, each handed out once per process.
enum SourcePorts {
    private static let next = Mutex(20000)

    static func take(_ count: Int) -> Int {
        next.withLock { port in
            defer { port += count }
            return port
        }
    }
}

/// One step of a test's clean-up, in a `defer` (which cannot throw): a failure is recorded as
/// an issue of the test, not swallowed (a teardown that left links behind once broke the next
/// test's set-up unseen).
func tearDown(_ what: String, _ body: () throws -> Void) {
    do { try body() } catch { Issue.record("teardown (\(what)): \(error)") }
}

/// Waits (bounded) until `condition` holds: IPVS folds its per-CPU counters into the totals
/// on a 2-second estimator tick, and there is no event to wait for.
func eventually(within limit: Duration = .seconds(15), _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: .milliseconds(100))
    }
}

/// The package root (the VM sees the repository at the same path).
let packageRoot = TestBinaries.packageRoot

/// The swiftvs binary built next to the test bundle.
var swiftvsBinary: String { TestBinaries.path("swiftvs") }

@discardableResult
func swiftvs(_ args: [String], input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    try run([swiftvsBinary] + args, input: input)
}

/// A file quoted in a failure message: its text, or why it could not be read (a message that
/// quotes nothing would hide that the file is missing).
func quoted(_ path: String) -> String {
    do { return try String(contentsOfFile: path, encoding: .utf8) } catch { return "(\(path) cannot be read: \(error.localizedDescription))" }
}
