import IPVS
import IPVSRules
import Serialization

/// `swiftvs list` without `-c`, as the command line asks for it; `run` prints it. Built by
/// `List` (ArgumentParser) and by `QuickCommand.list` alike, so both routes print the same
/// bytes and the same errors.
struct ListRequest: Equatable {
    var numeric = false
    var stats = false
    var rate = false
    var thresholds = false
    var persistentConnections = false
    var tunnelInfo = false
    var exact = false
    var noSort = false
    var timeout = false
    var daemon = false
    var json = false
    /// ipvsadm's tokens for one service (`-t VIP:PORT`, `-f MARK -6`…), or none: the whole table.
    var serviceArguments: [String] = []
    var namespace: String?

    func run() throws {
        let ipvs = try openIPVS(namespace: namespace)
        let resolver: any NameResolver = numeric ? NumericResolver() : SystemResolver()
        if timeout {
            let t = try report { () throws(IPVSError) in try ipvs.timeouts() }
            print(ListFormat.timeouts(t), terminator: "")
            return
        }
        if daemon {
            let d = try report { () throws(IPVSError) in try ipvs.syncDaemons() }
            print(ListFormat.daemons(d), terminator: "")
            return
        }
        let options = ListOptions(numeric: numeric, stats: stats, rate: rate, thresholds: thresholds,
                                  persistentConnections: persistentConnections, tunnelInfo: tunnelInfo,
                                  exact: exact, sort: !noSort)
        if !serviceArguments.isEmpty {
            guard case let .change(.zero(key?)) = exitOnBadInput("list", { () throws(RulesError) in
                try ruleAction(["-Z"] + serviceArguments, command: "list", numeric: numeric)
            }) else { return }
            let entry = try report { () throws(IPVSError) in try ipvs.service(key) }
            print(json ? JSONFormat.render([entry], sorted: !noSort) : ListFormat.render(service: entry, options: options, resolver: resolver),
                  terminator: "")
            return
        }
        let (info, services) = try report { () throws(IPVSError) in (try ipvs.info(), try ipvs.services()) }
        print(json ? JSONFormat.render(services, sorted: !noSort) : ListFormat.render(services, info: info, options: options, resolver: resolver),
              terminator: "")
    }
}
