import Foundation
import PackagePlugin

/// Generates `BuildInfo`'s version and commit before every build: the version from the
/// package's `VERSION` file (the one place it is written), the commit from git. It runs
/// `Scripts/lib/build-info.sh` through `/bin/sh`, so debug builds, `swift test` and
/// `Scripts/build-release` all report the same thing, with no flags and no checked-in
/// generated file.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let package = context.package.directoryURL
        return [
            .prebuildCommand(
                displayName: "Generating the version and commit of \(target.name)",
                executable: URL(filePath: "/bin/sh"),
                arguments: [
                    package.appending(path: "Scripts/lib/build-info.sh").path(percentEncoded: false),
                    package.path(percentEncoded: false),
                    output.appending(path: "BuildInfoGenerated.swift").path(percentEncoded: false),
                ],
                outputFilesDirectory: output
            )
        ]
    }
}
