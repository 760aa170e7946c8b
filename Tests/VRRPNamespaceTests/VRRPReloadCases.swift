import Foundation
import Testing

/// A daemon started without any vrrp_instance gains its first ones by SIGHUP: it runs them (the
/// higher priority takes the VIP over), and its event loop turns real-time then, not before.
enum VRRPReloadCases {
    /// n2 (priority 110 + 20) starts with no instance, n1 (100 + 20) takes the VIP; n2's reload
    /// adds its instance: n2 preempts, and its `swiftvs-reactor` thread is SCHED_RR.
    static func firstInstanceByReload() async throws {
        var n2Instances: [VRRPInstanceSpec] = []
        let s = try await VRRPScenario(implementations: [.swiftvs, .swiftvs], priorities: [100, 110], configure: { _, i, config in
            // Only n2 (node 1) starts without its instance.
            if i == 1 {
                n2Instances = config.instances
                config.instances = []
            }
        })
        defer { s.teardown() }
        let n1 = s.node("n1"), n2 = try #require(s.node("n2") as? SwiftvsNode)
        try await n2.start()
        try await n1.start()
        try await s.awaitHolders("held by n1 alone", within: .seconds(VRRPTiming.masterDown(priority: 120) + 3)) { $0 == ["n1"] }
        let pid = try #require(n2.vrrpPID)
        #expect(try reactorPolicy(of: pid) == SCHED_OTHER, "no instance yet: an ordinary thread")

        var config = n2.config
        config.instances = n2Instances
        try n2.reload(with: config)
        let held = try await s.awaitHolders("held by n2 alone after its reload",
                                            within: .seconds(VRRPTiming.masterDown(priority: 130) + 5)) { $0 == ["n2"] }
        #expect(try reactorPolicy(of: pid) == SCHED_RR, "the reload's first instance makes the event loop real-time\n\(n2.log())")
        #expect(n2.logCount("restart the daemon") == 0, "\(n2.log())")
        print("[vrrp] first instance by SIGHUP: n2 took the VIP over at \(held.time); its event loop is SCHED_RR")
    }

    /// The scheduling policy (field 41 of /proc/PID/task/TID/stat) of the process's thread
    /// named swiftvs-reactor.
    static func reactorPolicy(of pid: Int32) throws -> Int32 {
        let tasks = "/proc/\(pid)/task"
        for tid in try FileManager.default.contentsOfDirectory(atPath: tasks) {
            let comm = try String(contentsOfFile: "\(tasks)/\(tid)/comm", encoding: .utf8)
            guard comm.trimmingCharacters(in: .whitespacesAndNewlines) == "swiftvs-reactor" else { continue }
            let stat = try String(contentsOfFile: "\(tasks)/\(tid)/stat", encoding: .utf8)
            // Fields after the command's closing parenthesis start at field 3.
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            return try #require(Int32(fields[41 - 3]))
        }
        throw HarnessError(code: .badData, operation: "find the swiftvs-reactor thread", object: "pid \(pid)", detail: "")
    }
}
