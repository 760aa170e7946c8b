/// The class of a failure, stable for callers to compare and switch on: one type for every
/// error domain of the package (`IPVSError.Code` is `ErrorCode<IPVSError>`, `MarkError.Code`
/// `ErrorCode<MarkError>`), so that no domain re-declares it.
///
/// A struct, not a closed enum: a new class is not a breaking change for callers' switches.
/// The domain keeps codes of different errors apart (an `IPVSError` code never compares equal
/// to a `HostNetworkError` one); only this package names codes (`package init`), each domain in
/// an extension `where Domain == ThatError`.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    /// The code's name (`noSuchService`), as the domain's static member is named.
    public let description: String

    /// A code named `name`; declared once per class as a static member of the domain's codes.
    package init(_ name: String) { description = name }
}
