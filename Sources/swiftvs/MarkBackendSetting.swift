import ArgumentParser
import FirewallMarks

/// `--mark-backend`: which tool keeps swiftvs's mark rules, for the commands that change a
/// table and its mark rules together (`add-service --vip`, `delete-service`, `save --with-marks`,
/// `restore`, `daemon --vip-mark`). The `mark` subcommands call it `--backend`
/// (`MarkBackendOptions`).
struct MarkBackendSetting: ParsableArguments {
    @Option(name: .customLong("mark-backend"), help: "iptables or nft (default: as 'swiftvs mark').")
    var name: String?
}
