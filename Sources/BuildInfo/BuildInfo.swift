/// What this build of swiftvs is: its version and the git commit it was built from.
///
/// Both are generated before every build by `Plugins/BuildInfoPlugin` from the package's
/// `VERSION` file and git (`Scripts/lib/build-info.sh`), so the version is written in one
/// place and the Debian package (`Scripts/package`) reads the same file.
public enum BuildInfo {
    /// The version, the first line of the package's `VERSION` file (e.g. `0.1.0`).
    public static var version: String { generatedVersion }

    /// The abbreviated git commit of the source tree, with `-dirty` when tracked files had
    /// changes, or `unknown` when it was not built from a git checkout.
    public static var commit: String { generatedCommit }
}
