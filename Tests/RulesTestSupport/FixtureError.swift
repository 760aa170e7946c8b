/// A fixture case that is missing a file or does not hold together.
public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
