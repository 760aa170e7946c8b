#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVS
import IPVSRules
import Serialization
import SystemErrors

/// swiftvs answering to ipvsadm's own command line: `swiftvs ipvsadm ARGS…`, or the binary
/// called as `ipvsadm`, `ipvsadm-save` or `ipvsadm-restore` (symlinks). It behaves as
/// ipvsadm 1.31 and Debian's two wrapper scripts do: same output, messages and exit
/// statuses, one kernel call per command line, `-R` line by line (see the README).
public enum IpvsadmMode {
    /// The names swiftvs answers to as ipvsadm, by the last component of argv[0].
    public static func entry(forProgram path: String) -> ((String, [String]) -> Int32)? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        switch name {
        case "ipvsadm": return { program, words in IpvsadmMode.ipvsadm(program: program, words) }
        case "ipvsadm-save": return { program, words in IpvsadmMode.save(program: program, words) }
        case "ipvsadm-restore": return { _, _ in IpvsadmMode.restoreScript() }
        default: return nil
        }
    }

    /// Ends this process as ipvsadm would (status, stdio flushed).
    struct Exit: Error { var status: Int32 }

    /// `ipvsadm WORDS…`: its exit status.
    public static func ipvsadm(program: String, _ words: [String], stdin: [UInt8]? = nil) -> Int32 {
        do throws(Exit) {
            let session = try Session(program: program, stdinText: stdin)
            if words.isEmpty {
                try session.listTable(ListOptions())
                return 0
            }
            return try session.process(words, readingStdin: false)
        } catch {
            return error.status
        }
    }

    /// Debian's `ipvsadm-save` script: `-n` numeric; any other word starting with `-` prints
    /// its help on standard error and exits 1; other words are ignored; then `ipvsadm -S [-n]`.
    static func save(program: String, _ words: [String]) -> Int32 {
        var numeric = false
        for w in words {
            if w == "-n" {
                numeric = true
            } else if w.hasPrefix("-") {
                let name = program.split(separator: "/").last.map(String.init) ?? program
                writeErr("\(name): Script to save the IPVS table to stdout.\n   With the -n option, prints out the table in numeric format.\n")
                return 1
            }
        }
        return ipvsadm(program: "ipvsadm", numeric ? ["-S", "-n"] : ["-S"])
    }

    /// Debian's `ipvsadm-restore` script: standard input without the lines starting with `#`,
    /// `ipvsadm -C`, then that input to `ipvsadm -R` (its status is the script's). Arguments
    /// are ignored, as the script ignores them.
    static func restoreScript() -> Int32 {
        let input = readAll(STDIN_FILENO)
        var kept: [UInt8] = []
        for line in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast(input.last == UInt8(ascii: "\n") ? 1 : 0)
        where line.first != UInt8(ascii: "#") {
            kept += line
            kept.append(UInt8(ascii: "\n"))
        }
        // "$(…)" drops the trailing newlines; echo adds one back.
        while kept.last == UInt8(ascii: "\n") { kept.removeLast() }
        kept.append(UInt8(ascii: "\n"))
        _ = ipvsadm(program: "ipvsadm", ["-C"])
        return ipvsadm(program: "ipvsadm", ["-R"], stdin: kept)
    }

    /// One ipvsadm process: its IPVS handle and standard input.
    struct Session {
        let program: String
        let ipvs: IPVSHandle
        /// Standard input for `-R` when it is not the process's own (ipvsadm-restore).
        let stdinText: [UInt8]?

        /// ipvsadm's `ipvs_init`: without IPVS it fails with exit 2.
        init(program: String, stdinText: [UInt8]?) throws(Exit) {
            self.program = program
            self.stdinText = stdinText
            do {
                ipvs = try IPVSHandle()
            } catch {
                // Without the IPVS family libipvs falls back to the old socket option interface,
                // whose getsockopt then fails with ENOPROTOOPT: "Protocol not available".
                let e = error.code == .ipvsUnavailable ? ENOPROTOOPT : (error.errno?.rawValue ?? ENOPROTOOPT)
                let reason = IPVSError.ipvsadmMessage(errno: e, operation: .open)
                IpvsadmMode.writeErr("Can't initialize ipvs: \(reason)\nAre you sure that IP Virtual Server is built in the kernel or as module?\n")
                throw Exit(status: 2)
            }
        }

        /// `process_options`: 0, or 255 when the kernel refused (or popt did); exits throw.
        func process(_ words: [String], readingStdin: Bool) throws(Exit) -> Int32 {
            let request: IpvsadmRequest
            switch IpvsadmCommandLine.parse(words, program: program, readingStdin: readingStdin) {
            case let .success(r): request = r
            case let .failure(f):
                writeErr(f.message)
                if f.exits { throw Exit(status: f.status) }
                return f.status
            }
            switch request {
            case .help:
                writeOut(IpvsadmUsage.usage(program: program))
                throw Exit(status: 0)
            case .version:
                writeOut(IpvsadmUsage.version)
                throw Exit(status: 0)
            case let .action(action):
                return perform(action)
            case let .listTable(options):
                try listTable(options)
            case let .listService(key, options):
                let entry = try orExit(1) { () throws(IPVSError) in try ipvs.service(key) }
                writeOut(ListFormat.render(service: entry, options: options, resolver: resolver(options.numeric)))
            case .listTimeouts:
                let t = try orExit(1) { () throws(IPVSError) in try ipvs.timeouts() }
                writeOut(ListFormat.timeouts(t))
            case .listDaemons:
                let d = try orExit(1) { () throws(IPVSError) in try ipvs.syncDaemons() }
                writeOut(ListFormat.daemons(d))
            case let .listConnections(numeric, persistent):
                let status = ipvsadmListConnections(numeric: numeric, persistentConnections: persistent)
                if status != 0 { throw Exit(status: status) }
            case let .save(numeric):
                let services = try orExit(1) { () throws(IPVSError) in try ipvs.services(statistics: false) }
                SaveFormat.withRenderedBytes(services, numeric: numeric, resolver: resolver(numeric)) { writeOut($0) }
            case .restore:
                return try restore()
            }
            return 0
        }

        /// ipvsadm's `list_all`.
        func listTable(_ options: ListOptions) throws(Exit) {
            let (info, services) = try orExit(1) { () throws(IPVSError) in (try ipvs.info(), try ipvs.services()) }
            writeOut(ListFormat.render(services, info: info, options: options, resolver: resolver(options.numeric)))
        }

        /// One kernel call; its error as ipvsadm words it, and 255 (ipvsadm's -1).
        func perform(_ action: RuleAction) -> Int32 {
            do throws(IPVSError) {
                switch action {
                case let .change(c): try ipvs.apply(c)
                case let .setTimeouts(t): try ipvs.setTimeouts(t)
                case let .startDaemon(d): try ipvs.startSyncDaemon(d)
                case let .stopDaemon(role): try ipvs.stopSyncDaemon(role)
                }
                return 0
            } catch {
                writeErr(error.ipvsadmMessage(for: action) + "\n")
                return 255
            }
        }

        /// `-R`: each line of standard input is a command line; the status is the last line's.
        func restore() throws(Exit) -> Int32 {
            let input = stdinText ?? readAll(STDIN_FILENO)
            var result: Int32 = 0
            for words in IpvsadmConfigStream.lines(input) where !words.isEmpty {
                result = try process(words, readingStdin: true)
            }
            return result
        }

        /// A listing's kernel error: ipvsadm prints it and exits with `status`.
        func orExit<T>(_ status: Int32, _ body: () throws(IPVSError) -> T) throws(Exit) -> T {
            do {
                return try body()
            } catch {
                writeErr(error.ipvsadmMessage(for: nil) + "\n")
                throw Exit(status: status)
            }
        }

        func resolver(_ numeric: Bool) -> any NameResolver { numeric ? NumericResolver() : SystemResolver() }
    }

    static func writeOut(_ s: String) {
        var s = s
        s.withUTF8 { writeOut(UnsafeRawBufferPointer($0)) }
    }

    static func writeOut(_ raw: UnsafeRawBufferPointer) {
        do {
            _ = try FileDescriptor.standardOutput.writeAll(raw)   // short writes and EINTR retried
        } catch Errno.brokenPipe {
            // The reader went away (`ipvsadm -L | head`): nothing to say, as ipvsadm says nothing.
        } catch {
            writeErr("write: \(error)\n")
        }
    }

    static func writeErr(_ s: String) {
        var s = s
        // Nowhere left to report a failure to write the report itself.
        s.withUTF8 { _ = try? FileDescriptor.standardError.writeAll(UnsafeRawBufferPointer($0)) }
    }

    /// All of a file descriptor's bytes (standard input for `-R`).
    static func readAll(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        // EINTR retried; the end of the input or a failure to read it ends it, as ipvsadm's
        // fgets loop does.
        while let n = try? chunk.withUnsafeMutableBytes({ try FileDescriptor(rawValue: fd).read(into: $0) }), n > 0 {
            out += chunk[0..<n]
        }
        return out
    }
}

extension IpvsadmMode.Session {
    func writeOut(_ s: String) { IpvsadmMode.writeOut(s) }
    func writeOut(_ raw: UnsafeRawBufferPointer) { IpvsadmMode.writeOut(raw) }
    func writeErr(_ s: String) { IpvsadmMode.writeErr(s) }
}
