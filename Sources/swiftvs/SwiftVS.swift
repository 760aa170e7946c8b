#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import IPVS

@main
struct SwiftVS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftvs",
        abstract: "Run an IPVS direct-routing director: services, real servers, marks, health checks.",
        discussion: """
            Exit status: 0 success, 1 the operation or the kernel failed, 2 bad usage or input.
            """,
        subcommands: [Info.self, Mark.self]
    )

    /// ArgumentParser's usage errors exit 64; swiftvs keeps ipvsadm's convention of 2 for
    /// bad usage and input, with the message first and the usage after it.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                var stderr = StandardError()
                print(fullMessage(for: error), to: &stderr)
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the kernel's IPVS version and connection table size.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let ipvs = try common.open()
        let info = try report { () throws(IPVSError) in try ipvs.info() }
        print("IP Virtual Server version \(info.version) (size=\(info.connectionTableSize))")
    }
}
