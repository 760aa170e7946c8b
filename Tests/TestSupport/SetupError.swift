/// A test's set-up step that failed (a tool's exit status, a missing file), with its words.
public struct SetupError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    public init(_ message: String) { self.message = message }
    public init(message: String) { self.message = message }
}
