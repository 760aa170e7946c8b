import ArgumentParser
import DaemonMetrics
import IPVS

/// `swiftvs metrics`: the IPVS part of the daemon's metrics for the current table, once, for
/// node_exporter's textfile collector (`swiftvs metrics > DIR/swiftvs.prom.$$ && mv … DIR/swiftvs.prom`).
struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the IPVS table's metrics once, in the Prometheus text format.",
        discussion: """
            The swiftvs_ipvs_* series that 'swiftvs daemon --metrics' serves, from one dump of the
            kernel's table: per service and real server the connections, packets and bytes in and out
            (the kernel's 64-bit counters), and per real server the active and inactive connections
            and the weight, labelled as node_exporter's IPVS collector labels them. No daemon needed:
            for node_exporter's textfile collector (write to a temporary file, then rename it into
            the collector's directory, so that node_exporter never reads half a file).
            """)

    @OptionGroup var common: CommonOptions

    func run() throws {
        let ipvs = try common.open()
        let entries = try report { () throws(IPVSError) in try ipvs.services() }
        print(IPVSMetrics.text(entries), terminator: "")
    }
}
