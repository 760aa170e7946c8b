#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import Diagnostics
import IPVS

/// Options every kernel-facing subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("netns"), help: "Work inside the named network namespace (/run/netns/NAME).")
    var namespace: String?

    /// A handle on the kernel's IPVS, or the explained error and exit status 1.
    func open() throws -> IPVSHandle { try openIPVS(namespace: namespace) }
}

/// A handle on the kernel's IPVS, or the explained error and exit status 1.
func openIPVS(namespace: String?) throws -> IPVSHandle {
    try report { () throws(IPVSError) in try IPVSHandle(namespace: namespace) }
}

/// Runs a kernel operation; on failure prints `swiftvs: <what>: <why>` and a hint, exit 1.
func report<T>(_ body: () throws(IPVSError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        fail(error.description, hint: error.hint, status: error.code == .invalidValue ? 2 : 1)
    }
}
