#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import HealthCheck
import Director
import IPVS

struct SwiftVS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftvs",
        abstract: "Run an IPVS direct-routing director: services, real servers, marks, health checks.",
        discussion: """
            Exit status: 0 success, 1 the operation or the kernel failed, 2 bad usage or input.
            """,
        version: VersionCommand.text,
        subcommands: [
            AddService.self, EditService.self, DeleteService.self,
            AddServer.self, EditServer.self, DeleteServer.self,
            List.self, Save.self, Restore.self,
            Clear.self, Zero.self, SetTimeouts.self, StartDaemon.self, StopDaemon.self,
            Mark.self, Info.self,
            HealthCheckDaemon.self, CheckConfig.self, Status.self, Metrics.self,
            VersionCommand.self,
        ]
    )

    /// ArgumentParser's usage errors exit 64; swiftvs keeps ipvsadm's convention of 2 for
    /// bad usage and input, with the message first and the usage after it. Started by `Entry`
    /// when no quick route took the command line.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "daemon" {
            // Written plainly, the daemon's options need no ArgumentParser: straight to
            // swiftvs-healthd (or the daemon in this process when it is not installed).
            if let options = HealthDaemonOptions(plain: Array(arguments.dropFirst())) {
                DaemonMain.exec(options: options)
                await DaemonMain.run(options)
                return
            }
        }
        do {
            var command = try parseAsRoot(normalizedArguments(arguments))
            if var daemon = command as? AsyncParsableCommand {
                try await daemon.run()
            } else {
                try command.run()
            }
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
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show the kernel's IPVS version and connection table size.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let ipvs = try common.open()
        let info = try report { () throws(IPVSError) in try ipvs.info() }
        print("IP Virtual Server version \(info.version) (size=\(info.connectionTableSize))")
    }
}

/// ipvsadm's `-p` takes its timeout only when one follows: `-p 600` or a bare `-p` (360 s).
/// ArgumentParser has no optional option values, so a bare `-p`/`--persistent` of the
/// service subcommands becomes `--persistent=360` before parsing.
func normalizedArguments(_ args: [String]) -> [String] {
    guard let sub = args.first, ["add-service", "edit-service"].contains(sub) else { return args }
    var out: [String] = []
    var i = 0
    while i < args.count {
        let a = args[i]
        if a == "-p" || a == "--persistent" {
            let next = i + 1 < args.count ? args[i + 1] : nil
            if let next, !next.hasPrefix("-") {
                out.append("--persistent=\(next)")
                i += 2
            } else {
                out.append("--persistent=\(Service.defaultPersistenceTimeout)")
                i += 1
            }
            continue
        }
        out.append(a)
        i += 1
    }
    return out
}
