import Foundation

/// The result of a finished program.
struct CommandResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs short-lived programs (ip, sysctl, swiftvs check-config) without a shell.
enum Command {
    /// Runs `argv` to completion and returns its status and output.
    @discardableResult
    static func run(_ argv: [String]) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // stderr is drained on another thread, so a chatty program cannot block on a full pipe.
        let errData = ErrorDrain(err.fileHandleForReading)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = errData.wait()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                             stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs `argv` and throws unless it exits 0.
    @discardableResult
    static func check(_ argv: [String]) throws -> CommandResult {
        let r = try run(argv)
        guard r.status == 0 else {
            throw HarnessError(code: .commandFailed, operation: "run", object: argv.joined(separator: " "),
                               detail: "exit \(r.status): \(r.stderr)\(r.stdout)")
        }
        return r
    }

    /// Runs `ip` with the given arguments and throws unless it exits 0.
    @discardableResult
    static func ip(_ args: String...) throws -> CommandResult {
        try check(["/usr/sbin/ip"] + args)
    }
}

/// Reads a pipe to its end on a separate thread.
private final class ErrorDrain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
