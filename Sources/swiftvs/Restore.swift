#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import FirewallMarks
import IPVS
import IPVSRules
import SystemErrors

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Make the kernel table equal to a saved one (ipvsadm-save format), all or nothing.",
        discussion: """
            Reads what ipvsadm-save and 'swiftvs save' write (with or without -n, blank and # lines,
            lines starting with the word ipvsadm, and '# swiftvs-mark' lines for the mark rules).

            Every line is checked before anything is sent; an error names FILE:LINE:COLUMN and exits 2
            with the table untouched. By default only the difference is applied, so unchanged
            services keep their connections and counters. If the kernel refuses a change midway,
            the table is put back as it was and the kernel's reason is reported with its line (exit 1).

            Modes:
              (default)   the table becomes the file's, changing only what differs
              --flush     like ipvsadm-restore: clear the table, then add the file's entries
              --append    like 'ipvsadm -R': add the file's entries to the table
              --dry-run   print the planned changes, touch nothing

            Mark rules are changed only when the file has '# swiftvs-mark' lines: then swiftvs's
            rules become exactly those (with --append, they are added).
            """)

    @Argument(help: ArgumentHelp("The rules file; - or nothing for standard input.", valueName: "file"))
    var file: String?

    @OptionGroup var mode: RestoreModeOptions
    @Flag(name: [.customShort("n"), .customLong("numeric")], help: "Refuse host and service names in the file.")
    var numeric = false
    @OptionGroup var markBackend: MarkBackendSetting
    @OptionGroup var common: CommonOptions

    /// What the command line asks for (the same from `QuickCommand.restore`).
    var request: RestoreRequest {
        RestoreRequest(file: file, flush: mode.flush, append: mode.append, dryRun: mode.dryRun, numeric: numeric,
                       backend: markBackend.name, namespace: common.namespace)
    }

    func run() throws { try request.run() }
}

/// How a restore changes the table (the "Modes" of `restore --help`): by default only the
/// difference; `--flush` or `--append`, not both; `--dry-run` with either or neither.
struct RestoreModeOptions: ParsableArguments {
    @Flag(name: .customLong("flush"), help: "Clear the table first, then add (ipvsadm-restore).")
    var flush = false
    @Flag(name: .customLong("append"), help: "Only add the file's entries (ipvsadm -R).")
    var append = false
    @Flag(name: .customLong("dry-run"), help: "Print the planned changes and change nothing.")
    var dryRun = false

    func validate() throws {
        if flush && append { throw ValidationError("--flush and --append exclude each other.") }
    }
}

/// A restore as asked for on the command line; `run` does it.
struct RestoreRequest: Equatable {
    var file: String?
    var flush = false
    var append = false
    var dryRun = false
    var numeric = false
    var backend: String?
    var namespace: String?

    func run() throws {
        let name = (file == nil || file == "-") ? "<stdin>" : file!
        let text: [UInt8]
        do { text = try readBytes(file == "-" ? nil : file) } catch {
            fail("restore: cannot read \(name): \(error)", status: 2)
        }
        let ipvs = try openIPVS(namespace: namespace)
        // The diff and a rollback need the configuration only, not the counters.
        let current = try report { () throws(IPVSError) in try ipvs.services(statistics: false) }

        // 1. Parse and validate everything.
        let resolver: any NameResolver = numeric ? NumericResolver() : SystemResolver()
        let rules: RulesFile
        let simulated: [ServiceEntry]?
        do {
            (rules, simulated) = try RulesFile.parseWithTable(utf8: text, fileName: name, resolver: resolver,
                                                              startingFrom: append ? current : [])
        } catch {
            printDiagnostics(error.diagnostics)
            Glibc.exit(2)
        }
        var markRules: [MarkRule] = []
        var markProblems: [Diagnostic] = []
        for line in rules.marks where !line.text.isEmpty {
            do {
                markRules.append(try MarkRule.parseSaveLine(RulesFile.markPrefix + line.text))
            } catch {
                markProblems.append(Diagnostic(
                    .error, SourceLocation(file: name, line: line.location.line, column: error.column ?? line.location.column),
                    error.message, token: line.text, hint: error.hint ?? ""))
            }
        }
        if !markProblems.isEmpty {
            printDiagnostics(markProblems)
            Glibc.exit(2)
        }

        // 2. Plan.
        let plan = makePlan(rules, current: current, desired: append ? nil : simulated)
        let others = rules.commands.filter { !$0.action.isTableChange }
        if dryRun {
            let origins = plan.origins()
            for (i, change) in plan.changes.enumerated() {
                let origin = origins[i].map { "   # \($0.file):\($0.line)" } ?? ""
                print(SaveFormat.commandLine(for: change) + origin)
            }
            for c in others { print("\(describe(c.action))   # \(c.location.file):\(c.location.line)") }
            if !rules.marks.isEmpty {
                for r in markRules { print("mark: \(r.description)") }
            }
            return
        }

        // 3. Apply, all or nothing.
        let result = try report { () throws(IPVSError) in try ipvs.apply(plan.changes, stopAtFirstFailure: true) }
        if let failure = result.failures.first {
            let rollback = rollBack(Plan.applied(plan.changes, result: result), before: current, ipvs: ipvs)
            let place = plan.origins()[failure.index].map { "\($0.file):\($0.line): " } ?? "\(name): "
            fail("restore: \(place)\(failure.error)", hint: rollback, status: 1)
        }
        let tableChanges = plan.changes
        for c in others {
            do throws(IPVSError) {
                try apply(c.action, ipvs)
            } catch {
                let rollback = rollBack(tableChanges, before: current, ipvs: ipvs)
                fail("restore: \(c.location.file):\(c.location.line): \(error)", hint: rollback, status: 1)
            }
        }
        if !rules.marks.isEmpty {
            let marks = try markManager(backend, namespace: namespace, command: "restore")
            do throws(MarkError) {
                if append {
                    for r in markRules { try marks.add(r) }
                } else {
                    try marks.apply(desired: markRules)
                }
            } catch {
                let rollback = rollBack(tableChanges, before: current, ipvs: ipvs)
                fail("restore: mark rules: \(error.message)", hint: rollback, status: error.exitCode)
            }
        }
        // Done: the process ends here instead of returning. Freeing tens of thousands of
        // parsed lines and two copies of the table one object at a time is about a tenth of
        // a big restore's CPU, for memory the kernel takes back at exit anyway (compilers
        // skip it the same way). The socket is closed by the exit too.
        Glibc.exit(0)
    }

    struct PlannedChanges {
        var changes: [Change]
        /// The file line each change comes from (nil for deletions of what the file leaves out).
        /// Computed only when needed (a failure, --dry-run): a big restore that succeeds never
        /// builds the lookup tables.
        var origins: () -> [SourceLocation?]
    }

    /// `desired`: the file's table when the caller already has it (from parsing).
    func makePlan(_ rules: RulesFile, current: [ServiceEntry], desired known: [ServiceEntry]? = nil) -> PlannedChanges {
        // Every table change of the file with its line (computed only when it is needed).
        func sourced() -> [(Change, SourceLocation)] {
            rules.commands.compactMap { c in c.action.change.map { ($0, c.location) } }
        }
        if append {
            let sourced = sourced()
            return PlannedChanges(changes: sourced.map(\.0), origins: { sourced.map(\.1) })
        }
        if flush {
            let sourced = sourced()
            return PlannedChanges(changes: [.flush] + sourced.map(\.0), origins: { [nil] + sourced.map(\.1) })
        }
        let desired: [ServiceEntry]
        if let known {
            desired = known
        } else {
            do { desired = try rules.table(startingFrom: []) } catch {
                printDiagnostics(error.diagnostics)
                Glibc.exit(2)
            }
        }
        // A table from the rules file has each service and real server once.
        let changes = Plan.diff(current: current, desired: desired, unique: true)
        return PlannedChanges(changes: changes, origins: {
            // Where each service and real server of the file is defined, for error reports.
            var serviceLine: [ServiceKey: SourceLocation] = [:]
            var destinationLine: [DestinationKey: [ServiceKey: SourceLocation]] = [:]
            for (change, location) in sourced() {
                switch change {
                case let .addService(s), let .editService(s): serviceLine[s.key] = location
                case let .addDestination(d, k), let .editDestination(d, k): destinationLine[d.key, default: [:]][k] = location
                default: break
                }
            }
            return changes.map { change in
                switch change {
                case let .addService(s), let .editService(s): return serviceLine[s.key]
                case let .addDestination(d, k), let .editDestination(d, k): return destinationLine[d.key]?[k]
                default: return nil
                }
            }
        })
    }

    /// Undoes `applied` (the changes the kernel made) and says how that went.
    func rollBack(_ applied: [Change], before: [ServiceEntry], ipvs: IPVSHandle) -> String {
        let undo = Plan.inverse(of: applied, before: before)
        guard !undo.isEmpty else { return "nothing was changed" }
        do throws(IPVSError) {
            let r = try ipvs.apply(undo)
            if r.succeeded { return "the table was put back as it was (\(undo.count) changes undone)" }
            return "ROLLBACK INCOMPLETE: " + r.failures.map(\.description).joined(separator: "; ")
        } catch {
            return "ROLLBACK FAILED: \(error)"
        }
    }

    func apply(_ action: RuleAction, _ ipvs: IPVSHandle) throws(IPVSError) {
        switch action {
        case let .setTimeouts(t): try ipvs.setTimeouts(t)
        case let .startDaemon(d): try ipvs.startSyncDaemon(d)
        case let .stopDaemon(role): try ipvs.stopSyncDaemon(role)
        default: break
        }
    }

    func describe(_ action: RuleAction) -> String {
        switch action {
        case let .setTimeouts(t): return "--set \(t.tcp) \(t.tcpFin) \(t.udp)"
        case let .startDaemon(d): return "--start-daemon \(d.role) --mcast-interface \(d.interface) --syncid \(d.syncID)"
        case let .stopDaemon(role): return "--stop-daemon \(role)"
        default: return ""
        }
    }
}

/// Prints every diagnostic as FILE:LINE:COLUMN: error: MESSAGE, with its hint.
func printDiagnostics(_ diagnostics: [Diagnostic]) {
    var stderr = StandardError()
    for d in diagnostics { print(d.description, to: &stderr) }
}

/// The whole file (or standard input when `path` is nil), as read; an `Errno` (strerror's text
/// as its description) when it cannot be.
func readBytes(_ path: String?) throws -> [UInt8] {
    let file = try path.map { try FileDescriptor.open(FilePath($0), .readOnly, options: .closeOnExec) }
        ?? FileDescriptor.standardInput
    defer { if path != nil { try? file.close() } }   // read-only: close has nothing to report
    let fd = file.rawValue
    // Read straight into one buffer, sized from the file when it has a size (a pipe has
    // none), growing only if the file grew.
    var info = stat()
    let sizeHint = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
    // Read into memory that is not zero-filled first (that was 2 M instructions for a big
    // file): the array counts as initialized only the bytes read into it.
    var atEnd = false
    var data = try [UInt8](unsafeUninitializedCapacity: max(sizeHint + 1, 1 << 16)) { buffer, initialized in
        initialized = 0
        while initialized < buffer.count {
            let n = try file.read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[initialized...])))
            if n == 0 { atEnd = true; return }
            initialized += n
        }
    }
    // More than the size said (a pipe, or a file that grew meanwhile): the rest in chunks.
    if !atEnd {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try file.read(into: $0) }   // EINTR retried
            if n == 0 { break }
            data.append(contentsOf: chunk[..<n])
        }
    }
    return data
}
