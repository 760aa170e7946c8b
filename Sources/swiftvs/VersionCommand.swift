import ArgumentParser
import BuildInfo
import IPVS

/// `swiftvs version` and `swiftvs --version`: the version (from the package's VERSION file),
/// the git commit it was built from, and the libnl-3 it runs with.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Show the version of swiftvs, the commit it was built from, and the libnl it runs with.",
        discussion: "The same text as `swiftvs --version`. The first line is `swiftvs VERSION`."
    )

    func run() {
        print(Self.text)
    }

    /// What both spellings print, e.g.
    /// `swiftvs 0.1.0` / `commit 43fb2b9a1c2d` / `libnl 3.7.0 (built with 3.7.0)`.
    static var text: String {
        """
        swiftvs \(BuildInfo.version)
        commit \(BuildInfo.commit)
        libnl \(NetlinkLibraryVersion.runtime) (built with \(NetlinkLibraryVersion.buildTime))
        """
    }
}
