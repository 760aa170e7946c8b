import Foundation

/// The result of a finished program.
public struct CommandResult: Sendable {
    /// The exit status, or the number of the signal that killed it (`signalled`).
    public var status: Int32
    /// Killed by a signal.
    public var signalled: Bool
    public var stdout: String
    /// Empty when standard error was merged into `stdout` or discarded.
    public var stderr: String

    public init(status: Int32, signalled: Bool = false, stdout: String, stderr: String) {
        self.status = status
        self.signalled = signalled
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs short-lived programs for the tests' set-up and checks (ip, sysctl, ipvsadm, the built
/// binaries), without a shell: the one process runner every test target shares.
public enum TestProcess {
    /// What becomes of the program's standard error.
    public enum StandardError: Sendable {
        /// Its own pipe, drained on another thread (a chatty program cannot block on a full pipe).
        case separate
        /// The same pipe as standard output, interleaved as written.
        case merged
        /// /dev/null.
        case discarded
    }

    /// Runs `argv` to its end. `argv[0]` is an absolute path, or a name found on PATH (run
    /// through /usr/bin/env). Standard input is `input`, or /dev/null without it.
    @discardableResult
    public static func run(_ argv: [String], input: String? = nil, standardError: StandardError = .separate) throws -> CommandResult {
        let p = Process()
        let absolute = argv[0].hasPrefix("/")
        p.executableURL = URL(fileURLWithPath: absolute ? argv[0] : "/usr/bin/env")
        p.arguments = absolute ? Array(argv.dropFirst()) : argv
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        switch standardError {
        case .separate: p.standardError = err
        case .merged: p.standardError = out
        case .discarded: p.standardError = FileHandle.nullDevice
        }
        let inPipe = Pipe()
        p.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try p.run()
        let drain = standardError == .separate ? PipeDrain(err.fileHandleForReading) : nil
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try inPipe.fileHandleForWriting.close()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = drain?.wait() ?? Data()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// `run`, throwing a `SetupError` ("ARGV failed (STATUS): STDERR") unless it exits 0.
    @discardableResult
    public static func check(_ argv: [String], input: String? = nil) throws -> CommandResult {
        let r = try run(argv, input: input)
        guard r.status == 0 else {
            throw SetupError("\(argv.joined(separator: " ")) failed (\(r.status)): \(r.stderr)")
        }
        return r
    }
}

/// Reads a pipe to its end on a thread of its own.
private final class PipeDrain: @unchecked Sendable {
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
