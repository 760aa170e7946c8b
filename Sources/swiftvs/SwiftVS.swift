import ArgumentParser
import IPVS

@main
struct SwiftVS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftvs",
        abstract: "Run an IPVS direct-routing director: services, real servers, marks, health checks.",
        subcommands: [Info.self]
    )
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the kernel's IPVS version and connection table size.")

    @Option(name: .customLong("netns"), help: "Work inside the named network namespace.")
    var namespace: String?

    func run() throws {
        do {
            let ipvs = try IPVSHandle(namespace: namespace)
            let info = try ipvs.info()
            print("IP Virtual Server version \(info.version) (size=\(info.connectionTableSize))")
        } catch {
            var stderr = StandardError()
            print("swiftvs: \(error)", to: &stderr)
            throw ExitCode(1)
        }
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleWriter.stderr(string)
    }
}
