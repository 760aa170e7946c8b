import Foundation

/// A harness step that failed: what was attempted, on what, and why (with the tool's own words).
struct HarnessError: Error, CustomStringConvertible {
    enum Code: String, Sendable {
        case commandFailed = "command failed"
        case timeout = "timed out"
        case systemCall = "system call failed"
        case notRunning = "not running"
        case badData = "unexpected data"
    }

    var code: Code
    var operation: String
    var object: String
    var errno: Int32 = 0
    var detail: String = ""

    var description: String {
        var text = "\(operation) \(object): \(code.rawValue)"
        if errno != 0 { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        if !detail.isEmpty { text += "\n\(detail)" }
        return text
    }
}
