import IPVS
import IPVSRules
import Serialization

/// `swiftvs list` without `-c`, as the command line asks for it; `run` prints it. Built by
/// `List` (ArgumentParser) and by `QuickCommand.list` alike, so both routes print the same
/// bytes and the same errors.
struct ListRequest: Equatable {
    /// `-n`, `--netns`, and the one service to list.
    var scope = ListScope()
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

    func run() throws {
        let ipvs = try openIPVS(namespace: scope.namespace)
        let resolver = scope.resolver
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
        let options = ListOptions(numeric: scope.numeric, stats: stats, rate: rate, thresholds: thresholds,
                                  persistentConnections: persistentConnections, tunnelInfo: tunnelInfo,
                                  exact: exact, sort: !noSort)
        if !scope.serviceArguments.isEmpty {
            guard let key = scope.serviceKey else { return }
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
