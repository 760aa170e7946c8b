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

/// The classes every domain has, declared once: a domain's own classes are in its extension
/// `where Domain == ThatError`.
extension ErrorCode {
    /// EPERM / EACCES: the operation needs a privilege (CAP_NET_ADMIN, CAP_NET_RAW…).
    public static var permissionDenied: Self { Self(#function) }
    /// The kernel refused the values (EINVAL, ERANGE, EAFNOSUPPORT…).
    public static var invalidArgument: Self { Self(#function) }
    /// The input was refused before anything was sent or changed (an address, a port, a
    /// mark, a save line, an option).
    public static var invalidValue: Self { Self(#function) }
    /// A network namespace could not be opened or entered (it does not exist, or may not be).
    public static var namespace: Self { Self(#function) }
    /// Any other errno from the kernel or a system call.
    public static var system: Self { Self(#function) }
}
