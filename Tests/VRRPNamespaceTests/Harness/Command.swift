import Foundation
@_exported import TestSupport

/// Runs short-lived programs (ip, sysctl, swiftvs check-config) without a shell.
enum Command {
    /// Runs `argv` to completion and returns its status and output.
    @discardableResult
    static func run(_ argv: [String]) throws -> CommandResult { try TestProcess.run(argv) }

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
