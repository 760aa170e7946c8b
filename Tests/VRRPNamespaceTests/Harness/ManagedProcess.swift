import Foundation

/// A long-running program the harness started (keepalived, swiftvs, tcpdump), with its standard
/// output and error in one log file. The `Topology` that started it kills it at teardown.
final class ManagedProcess: @unchecked Sendable {
    let label: String
    let argv: [String]
    let logPath: String
    private let process: Process

    /// Starts `argv` (absolute program path) with stdout and stderr appended to `logPath`.
    init(label: String, argv: [String], logPath: String) throws {
        self.label = label
        self.argv = argv
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw HarnessError(code: .systemCall, operation: "open log", object: logPath, errno: errno)
        }
        defer { try? log.close() }
        process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw HarnessError(code: .commandFailed, operation: "start", object: argv.joined(separator: " "),
                               detail: "\(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// The exit status, or nil while it runs. A death by signal reads as 128 + the signal.
    var exitStatus: Int32? {
        guard !process.isRunning else { return nil }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Sends `sig` to the process (not its children).
    func signal(_ sig: Int32) throws {
        guard Glibc.kill(pid, sig) == 0 else {
            throw HarnessError(code: .systemCall, operation: "kill -\(sig)", object: "\(label) (pid \(pid))", errno: errno)
        }
    }

    /// Waits until the process has exited; false when it still runs after `limit`.
    func waitForExit(within limit: Duration) async -> Bool {
        (try? await awaitCondition("\(label) to exit", within: limit) { !process.isRunning }) != nil
    }

    /// Everything the process has written so far.
    func output() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }
}
