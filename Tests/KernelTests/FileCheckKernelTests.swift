import Foundation
import Testing
import HealthCheck

/// FILE_CHECK through `swiftvs daemon` against the kernel's IPVS: the tracked file's number
/// times its weight is added to the real server's weight in the kernel table, a fault value
/// takes the server out, a deleted file reads 0.
extension Kernel {
    @Suite("FILE_CHECK sets the kernel's weight", .serialized)
    struct FileCheckKernelTests {
        static let work = "/tmp/swiftvs-file-check"
        typealias E2E = DaemonKernelTests

        /// The weight of 192.0.2.161:80 in the kernel's 192.0.2.160:80, nil when it is absent.
        static func weight() async throws -> Int? {
            for line in try await E2E.save().split(separator: "\n") where line.hasPrefix("-a -t 192.0.2.160:80 -r 192.0.2.161:80 ") {
                return line.split(separator: " ").last.flatMap { Int($0) }
            }
            return nil
        }

        @Test static func trackedFileChangesTheIPVSWeight() async throws {
            try await E2E.shell("rm -rf \(work) && mkdir -p \(work) && ipvsadm -C")
            let config = "\(work)/swiftvs.conf"
            try """
            track_file rs1 {
              file \(work)/rs1
              weight 10
              init_file 1
            }
            virtual_server 192.0.2.160 80 {
              lb_kind DR
              protocol TCP
              real_server 192.0.2.161 80 {
                weight 100
                FILE_CHECK {
                  track_file rs1
                }
              }
            }

            """.write(toFile: config, atomically: true, encoding: .utf8)
            let argv = [try E2E.swiftvsPath(), "daemon", "--config", config, "--no-state", "--control", "\(work)/control.sock"]
            let line = argv.map { "'\($0)'" }.joined(separator: " ")
            let daemon = Task { await E2E.runner.run(.exec(["/bin/sh", "-c", "exec \(line) >\(work)/daemon.log 2>&1"]), timeout: .seconds(600)) }

            #expect(try await E2E.until(within: .seconds(20)) { try await weight() == 110 }, "100 + init_file's 1 × 10")
            try await E2E.shell("echo 5 > \(work)/rs1")
            #expect(try await E2E.until(within: .seconds(10)) { try await weight() == 150 })
            try await E2E.shell("echo -7000 > \(work)/rs1.new && mv \(work)/rs1.new \(work)/rs1")
            #expect(try await E2E.until(within: .seconds(10)) { try await weight() == nil }, "-70000 is a fault: removed")
            try await E2E.shell("rm \(work)/rs1")
            #expect(try await E2E.until(within: .seconds(10)) { try await weight() == 100 }, "a deleted file reads 0")
            // The daemon's pid is in its first log line ("… pid N").
            try await E2E.shell("kill $(sed -n 's/.*, pid \\([0-9]*\\).*/\\1/p' \(work)/daemon.log | head -1)")
            #expect(await daemon.value.termination == .exited(0))
            try await E2E.shell("ipvsadm -D -t 192.0.2.160:80")
        }
    }
}
