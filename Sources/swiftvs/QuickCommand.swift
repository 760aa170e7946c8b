import IPVS
import IPVSRules

/// The common one-change table commands, read without ArgumentParser.
///
/// `swiftvs add-server -t 192.0.2.1:80 -r 192.0.2.10 -g -w 2` is what scripts run in loops,
/// and ArgumentParser's reflection-driven setup costs more than the kernel call itself (in
/// the test VM it is most of a ~0.25 s start; on the host about 10 M instructions, where the
/// whole quick route of a static release binary is 0.5 M). For `add-service`, `edit-service`,
/// `add-server`, `edit-server`, `delete-server` and `zero` written plainly — each option once, as a
/// separate word with its value in the next word — this reads the options into the same
/// ipvsadm argument list the subcommands build (`ServiceOptions.arguments` and friends, same
/// order) and hands it to the same `ruleAction`. Anything else (help, `--opt=value`, bundled
/// flags, a repeated option, a value that starts with `-`, `--vip`, anything invalid) returns
/// nil and goes through ArgumentParser, which owns every message. Tests/SwiftVSTests
/// compares both routes over the argument tests' command lines and their variations.
enum QuickCommand {
    struct Parsed: Equatable {
        var action: RuleAction
        var namespace: String?
    }

    /// An option of the one-change commands: its spellings, the first the one the subcommands'
    /// `arguments` write (`ServiceOptions.arguments` and friends), and whether a value follows.
    private struct Word: Equatable {
        var spellings: [String]
        var takesValue: Bool
        var canonical: String { spellings[0] }

        static func valued(_ spellings: String...) -> Word { Word(spellings: spellings, takesValue: true) }
        static func flag(_ spellings: String...) -> Word { Word(spellings: spellings, takesValue: false) }
    }

    /// The options by group, each group in the order the subcommands' `arguments` give them.
    private static let serviceKey: [Word] = [
        .valued("-t", "--tcp-service"), .valued("-u", "--udp-service"), .valued("--sctp-service"),
        .valued("-f", "--fwmark-service"), .flag("-6", "--ipv6"),
    ]
    private static let serviceAttributes: [Word] = [
        .valued("-s", "--scheduler"), .valued("-p", "--persistent"), .valued("-M", "--netmask"),
        .valued("-b", "--sched-flags"), .flag("-o", "--ops"), .valued("--pe"),
    ]
    private static let realServer: [Word] = [.valued("-r", "--real-server")]
    private static let serverAttributes: [Word] = [
        .flag("-g", "--gatewaying"), .flag("-i", "--ipip"), .flag("-m", "--masquerading"),
        .valued("-w", "--weight"), .valued("-x", "--u-threshold"), .valued("-y", "--l-threshold"),
        .valued("--tun-type"), .valued("--tun-port"), .flag("--tun-nocsum"), .flag("--tun-csum"), .flag("--tun-remcsum"),
    ]
    private static let namespace = Word.valued("--netns")

    /// The one-change commands: ipvsadm's command option, and the groups the subcommand takes
    /// after the service (`serviceKey`, and `--netns`), in the order its `arguments` give them.
    private static func command(_ name: String) -> (option: String, groups: [[Word]])? {
        switch name {
        case "add-service": return ("-A", [serviceAttributes])
        case "edit-service": return ("-E", [serviceAttributes])
        case "add-server": return ("-a", [realServer, serverAttributes])
        case "edit-server": return ("-e", [realServer, serverAttributes])
        case "delete-server": return ("-d", [realServer])
        case "zero": return ("-Z", [])
        default: return nil
        }
    }

    /// Runs `arguments` if one of the quick routes reads them (`parse`, `restore`,
    /// `connections`, `list`, `save`): true when it ran (a failure has exited with its message
    /// and status, as ArgumentParser's commands do), false when ArgumentParser is to read them.
    static func run(_ arguments: [String]) -> Bool {
        do {
            if let quick = parse(arguments) {
                try perform(quick.action, on: try openIPVS(namespace: quick.namespace))
            } else if let restore = restore(arguments) {
                try restore.run()
            } else if let connections = connections(arguments) {
                try connections.run()
            } else if let list = list(arguments) {
                try list.run()
            } else if let save = save(arguments) {
                try save.run()
            } else {
                return false
            }
        } catch {
            SwiftVS.exit(withError: error)
        }
        return true
    }

    /// The action and namespace, or nil: parse with ArgumentParser.
    static func parse(_ args: [String]) -> Parsed? {
        guard let sub = args.first, let (op, groups) = command(sub) else { return nil }
        let words = Array(([serviceKey] + groups).joined())
        var spelled: [String: Word] = [:]
        for w in words + [namespace] {
            for name in w.spellings { spelled[name] = w }
        }
        // Each option once (under any of its spellings), its value in the next word.
        var values: [String: String] = [:]
        var i = 1
        while i < args.count {
            guard let w = spelled[args[i]], values[w.canonical] == nil else { return nil }
            if w.takesValue {
                guard i + 1 < args.count, let first = args[i + 1].first, first != "-" else { return nil }
                values[w.canonical] = args[i + 1]
                i += 2
            } else {
                values[w.canonical] = ""
                i += 1
            }
        }
        // The subcommands' validate(): the service options' rules (zero: the service is
        // optional), a real server where one is required, the server attributes' rules.
        func given(_ names: [String]) -> Int { names.filter { values[$0] != nil }.count }
        guard ServiceOptions.problem(given: given(serviceKey.filter(\.takesValue).map(\.canonical)), required: sub != "zero",
                                     ipv6: values["-6"] != nil, fwmark: values["-f"] != nil) == nil,
              ServerAttributeOptions.problem(forwarding: given(["-g", "-i", "-m"]),
                                             checksums: given(["--tun-nocsum", "--tun-csum", "--tun-remcsum"])) == nil,
              values["-r"] != nil || !groups.contains(realServer)
        else { return nil }

        // The argument list in the order the subcommands build it.
        var out = [op]
        for w in words {
            guard let v = values[w.canonical] else { continue }
            out += w.takesValue ? [w.canonical, v] : [w.canonical]
        }
        guard let action = try? ruleAction(out, command: sub) else { return nil }
        return Parsed(action: action, namespace: values["--netns"])
    }

    /// Options written plainly: each at most once (under its canonical spelling), a valued
    /// one with its value in the next word (not starting with `-`), and at most one other
    /// word if `positional` (`-` included). The options given (value "" for flags) and the
    /// word, or nil for anything else.
    private static func plainOptions(_ args: ArraySlice<String>, flags: [String: String], valued: Set<String>,
                                     positional: Bool) -> (options: [String: String], word: String?)? {
        var options: [String: String] = [:]
        var word: String?
        var i = args.startIndex
        while i < args.endIndex {
            let a = args[i]
            i += 1
            if let canonical = flags[a] {
                guard options.updateValue("", forKey: canonical) == nil else { return nil }
            } else if valued.contains(a) {
                guard i < args.endIndex, let first = args[i].first, first != "-",
                      options.updateValue(args[i], forKey: a) == nil else { return nil }
                i += 1
            } else {
                guard positional, a == "-" || !a.hasPrefix("-"), word == nil else { return nil }
                word = a
            }
        }
        return (options, word)
    }

    /// `restore` written plainly: each of `--flush`, `--append`, `--dry-run`, `-n`/`--numeric`
    /// at most once, `--netns NAME`, `--mark-backend NAME`, and at most one file (`-` for
    /// standard input). Anything else (help, `--opt=value`, bundled flags, --flush with
    /// --append…) returns nil and goes through ArgumentParser. A restore of a big table is
    /// mostly kernel work; ArgumentParser's setup would be a tenth of a second more.
    static func restore(_ args: [String]) -> RestoreRequest? {
        guard args.first == "restore",
              let (o, file) = plainOptions(args.dropFirst(), flags: ["--flush": "--flush", "--append": "--append",
                                                                     "--dry-run": "--dry-run", "-n": "-n", "--numeric": "-n"],
                                           valued: ["--netns", "--mark-backend"], positional: true)
        else { return nil }
        let r = RestoreRequest(file: file, flush: o["--flush"] != nil, append: o["--append"] != nil,
                               dryRun: o["--dry-run"] != nil, numeric: o["-n"] != nil,
                               backend: o["--mark-backend"], namespace: o["--netns"])
        if r.flush && r.append { return nil }
        return r
    }

    /// `save` written plainly: each of `-n`/`--numeric`, `--with-marks` at most once,
    /// `--netns NAME`, `--mark-backend NAME`; nothing else (ArgumentParser for the rest). A
    /// save is one dump after another; ArgumentParser's setup would be a tenth of its user time.
    static func save(_ args: [String]) -> SaveRequest? {
        guard args.first == "save",
              let (o, _) = plainOptions(args.dropFirst(), flags: ["-n": "-n", "--numeric": "-n", "--with-marks": "--with-marks"],
                                        valued: ["--netns", "--mark-backend"], positional: false)
        else { return nil }
        return SaveRequest(numeric: o["-n"] != nil, withMarks: o["--with-marks"] != nil,
                           backend: o["--mark-backend"], namespace: o["--netns"])
    }

    /// `list -c` written plainly: `-c`/`--connection` (required), each of `-n`/`--numeric`,
    /// `--persistent-conn`, `--exact`, `--json`, `--summary`, `--sort`/`--nosort` at most
    /// once, and `--netns`, `--server`, `--state`, one of `-t`/`-u`/`--sctp-service`/`-f` (with
    /// `-6`) with their values. Anything else goes through ArgumentParser (whose checks this
    /// repeats: --sort with --nosort is left to it). Listing 100 000 entries takes about as
    /// long as ArgumentParser's setup would add in the VM.
    static func connections(_ args: [String]) -> ConnectionListRequest? {
        guard let (o, scope) = plainList(args, flags: ["-c": "-c", "--connection": "-c", "--summary": "--summary"],
                                         valued: ["--server", "--state"]),
              o["-c"] != nil
        else { return nil }
        return ConnectionListRequest(scope: scope, persistentConnections: o["--persistent-conn"] != nil,
                                     json: o["--json"] != nil, summary: o["--summary"] != nil,
                                     server: o["--server"], state: o["--state"])
    }

    /// `list` without `-c`, written plainly: each of `-n`/`--numeric`, `--stats`, `--rate`,
    /// `--thresholds`, `--persistent-conn`, `--tun-info`, `--exact`, `--sort`/`--nosort`,
    /// `--timeout`, `--daemon`, `--json` at most once, `--netns NAME`, and at most one of
    /// `-t`/`-u`/`--sctp-service`/`-f` (with `-6`) with its value. Anything else (`-c`, help,
    /// `--opt=value`, bundled flags, a repeated option, `--server` without `-c`…) goes through
    /// ArgumentParser, whose checks this repeats. `list -n -t VIP:PORT` is one request and its
    /// answer: ArgumentParser's setup would be most of its time.
    static func list(_ args: [String]) -> ListRequest? {
        guard let (o, scope) = plainList(args, flags: ["--stats": "--stats", "--rate": "--rate", "--thresholds": "--thresholds",
                                                       "--tun-info": "--tun-info", "--timeout": "--timeout",
                                                       "--daemon": "--daemon"],
                                         valued: [])
        else { return nil }
        return ListRequest(scope: scope, stats: o["--stats"] != nil, rate: o["--rate"] != nil,
                           thresholds: o["--thresholds"] != nil, persistentConnections: o["--persistent-conn"] != nil,
                           tunnelInfo: o["--tun-info"] != nil, exact: o["--exact"] != nil, noSort: o["--nosort"] != nil,
                           timeout: o["--timeout"] != nil, daemon: o["--daemon"] != nil, json: o["--json"] != nil)
    }

    /// `list` (with or without `-c`) written plainly: the flags both take (`-n`, `--numeric`,
    /// `--persistent-conn`, `--exact`, `--json`, `--sort`, `--nosort`, `-6`, `--ipv6`) and
    /// `flags`, `--netns`, the service options and `valued`. The options given and what both
    /// listings take (`-n`, `--netns`, the service), or nil where ArgumentParser is to answer (see
    /// `plainOptions`, `--sort` with `--nosort`, `serviceArguments`).
    private static func plainList(_ args: [String], flags: [String: String],
                                  valued: Set<String>) -> (options: [String: String], scope: ListScope)? {
        let common = ["-n": "-n", "--numeric": "-n", "--persistent-conn": "--persistent-conn", "--exact": "--exact",
                      "--json": "--json", "--sort": "--sort", "--nosort": "--nosort", "-6": "-6", "--ipv6": "-6"]
        let services = Set(serviceKey.filter(\.takesValue).flatMap(\.spellings) + namespace.spellings)
        guard args.first == "list",
              let (o, _) = plainOptions(args.dropFirst(), flags: common.merging(flags) { a, _ in a },
                                        valued: services.union(valued), positional: false),
              !(o["--sort"] != nil && o["--nosort"] != nil),
              let service = serviceArguments(o)
        else { return nil }
        return (o, ListScope(numeric: o["-n"] != nil, serviceArguments: service, namespace: o["--netns"]))
    }

    /// The service options among `o` as `ServiceOptions.arguments` gives them (`-t VIP:PORT`,
    /// `-f MARK -6`, or none), or nil where ArgumentParser is to answer: one given twice under
    /// two spellings, or what ServiceOptions' rules refuse (`ServiceOptions.problem`).
    private static func serviceArguments(_ o: [String: String]) -> [String]? {
        var service: [String] = []
        for w in serviceKey where w.takesValue {
            let given = w.spellings.compactMap { o[$0] }
            if given.count > 1 { return nil }
            if let v = given.first { service += [w.canonical, v] }
        }
        let ipv6 = o["-6"] != nil
        guard ServiceOptions.problem(given: service.count / 2, required: false, ipv6: ipv6,
                                     fwmark: service.first == "-f") == nil
        else { return nil }
        return ipv6 ? service + ["-6"] : service
    }
}
