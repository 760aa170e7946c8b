internal import CNetlink

/// A version of libnl-3, the C library under the netlink sockets: major, minor, micro.
public struct NetlinkLibraryVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var micro: Int

    /// The libnl-3 this process runs with: the `nl_ver_*` constants of the shared library the
    /// loader mapped, which may be newer than the headers swiftvs was built against.
    public static var runtime: NetlinkLibraryVersion {
        NetlinkLibraryVersion(
            major: Int(swiftvs_nl_runtime_major()),
            minor: Int(swiftvs_nl_runtime_minor()),
            micro: Int(swiftvs_nl_runtime_micro()))
    }

    /// The libnl-3 whose headers swiftvs was compiled against (`LIBNL_VER_*`).
    public static var buildTime: NetlinkLibraryVersion {
        NetlinkLibraryVersion(
            major: Int(swiftvs_nl_build_major()),
            minor: Int(swiftvs_nl_build_minor()),
            micro: Int(swiftvs_nl_build_micro()))
    }

    /// `3.7.0`: libnl's own spelling (`LIBNL_VERSION`).
    public var description: String { "\(major).\(minor).\(micro)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor, lhs.micro) < (rhs.major, rhs.minor, rhs.micro)
    }
}
