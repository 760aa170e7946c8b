import Foundation
import Testing
import IPVS

/// Runs a program without a shell and returns its exit status and output.
@discardableResult
func run(_ argv: [String], input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
    p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    if let input {
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
    } else {
        p.standardInput = FileHandle.nullDevice
        try p.run()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Runs a shell snippet that must succeed (test set-up only).
func sh(_ script: String) throws {
    let r = try run(["/bin/sh", "-ec", script])
    if r.status != 0 {
        throw SetupError(message: "set-up failed (\(r.status)): \(script)\n\(r.stderr)")
    }
}

struct SetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
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
    return ipvs
}

let vip4 = IPAddress("192.0.2.100")!
let vip6 = IPAddress("2001:db8::100")!
func rs(_ n: Int) -> IPAddress { IPAddress("192.0.2.\(10 + n)")! }
/// 2001:db8::11, ::12, … (the same digits as the IPv4 real servers).
func rs6(_ n: Int) -> IPAddress { IPAddress("2001:db8::\(10 + n)")! }
