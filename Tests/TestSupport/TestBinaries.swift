import Foundation

/// Where the package and its built executables are, for tests that run them.
public enum TestBinaries {
    /// The package root, from this file's path (Tests/TestSupport/TestBinaries.swift; the VM
    /// sees the repository at the same path).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The executable `name` built beside the test bundle, else the one in .build/debug.
    public static func path(_ name: String) -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/\(name)").path
    }
}
