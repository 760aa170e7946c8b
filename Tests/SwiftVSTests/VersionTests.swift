import ArgumentParser
import BuildInfo
import Foundation
import IPVS
import Testing
import TestSupport
@testable import swiftvs

/// `swiftvs --version` / `swiftvs version`: the version from the VERSION file, the commit of
/// the tree, and the libnl-3 the process runs with.
@Suite struct VersionTests {
    /// The repository root, from this file's path (Tests/SwiftVSTests/VersionTests.swift).
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(_ tool: String, _ arguments: [String]) -> String? {
        guard let r = try? TestProcess.run([tool] + arguments, standardError: .discarded), r.status == 0 else { return nil }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let hasGit = run("git", ["-C", root.path, "rev-parse", "HEAD"]) != nil
    static let hasDpkg = run("dpkg-query", ["-W", "-f", "${Version}", "libnl-3-200"]) != nil

    @Test func versionIsTheVersionFile() throws {
        let file = try String(contentsOf: Self.root.appending(path: "VERSION"), encoding: .utf8)
        let first = try #require(file.split(separator: "\n").first)
        #expect(BuildInfo.version == first.trimmingCharacters(in: .whitespaces))
        #expect(!BuildInfo.version.isEmpty)
    }

    @Test(.enabled(if: hasGit, "git or the repository's .git is not available"))
    func commitIsACommitOfThisRepository() throws {
        let commit = BuildInfo.commit
        let hash = commit.hasSuffix("-dirty") ? String(commit.dropLast(6)) : commit
        #expect(hash.count == 12 && hash.allSatisfy(\.isHexDigit), "commit \(commit)")
        let full = Self.run("git", ["-C", Self.root.path, "rev-parse", "--verify", "\(hash)^{commit}"])
        #expect(full?.hasPrefix(hash) == true, "\(hash) is not a commit of \(Self.root.path)")
    }

    /// The runtime libnl is the one Debian installed (dpkg's upstream version, e.g. 3.7.0-0.2+b1).
    @Test(.enabled(if: hasDpkg, "dpkg-query or libnl-3-200 is not installed"))
    func libnlIsTheInstalledLibrary() throws {
        let installed = try #require(Self.run("dpkg-query", ["-W", "-f", "${Version}", "libnl-3-200"]))
        let upstream = installed.split(separator: "-").first.map(String.init) ?? installed
        #expect(NetlinkLibraryVersion.runtime.description == upstream)
        #expect(NetlinkLibraryVersion.runtime >= NetlinkLibraryVersion.buildTime)
        #expect(NetlinkLibraryVersion.runtime.major == 3)
    }

    @Test func bothSpellingsPrintTheSameThreeLines() throws {
        let lines = VersionCommand.text.split(separator: "\n").map(String.init)
        #expect(lines == [
            "swiftvs \(BuildInfo.version)",
            "commit \(BuildInfo.commit)",
            "libnl \(NetlinkLibraryVersion.runtime) (built with \(NetlinkLibraryVersion.buildTime))",
        ])
        do {
            _ = try SwiftVS.parseAsRoot(["--version"])
            Issue.record("--version parsed as a command")
        } catch {
            #expect(SwiftVS.exitCode(for: error) == .success)
            #expect(SwiftVS.fullMessage(for: error) == VersionCommand.text)
        }
        let command = try SwiftVS.parseAsRoot(["version"])
        #expect(command is VersionCommand)
    }
}
