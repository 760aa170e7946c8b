#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import Director
import Dispatch
import IpvsadmFrontEnd

/// Where the process starts: synchronously, with the concurrency runtime not yet started.
///
/// The quick routes — first `list -c` with flags only, read from the C argument vector
/// (`ConnectionArguments`), then ipvsadm's names and `swiftvs ipvsadm …`, and `list`, `list -c`, `save`,
/// `restore` and the one-change commands written plainly (`QuickCommand`) — do all their work
/// here and exit. A static Swift program that starts from an `async` `main` holds about 0.6 MB
/// more before it does anything (the concurrency runtime, the main queue and its threads:
/// docs/benchmarks.md, the connection table), which is more than `list -c` needs to be under
/// ipvsadm's memory. Everything else (ArgumentParser's commands, the daemon) runs in
/// `SwiftVS.main`, started here as the compiler starts an `async` `main`: as a task on the
/// main actor, the main queue served by this thread, exit status 0 when it returns.
@main
enum Entry {
    static func main() {
        // `list -c` with flags only, before CommandLine.arguments is built (see the type), from
        // the argument vector the C library handed the constructors: `CommandLine.unsafeArgv`'s
        // first use runs the standard library's lazy initialisation, code `list -c` needs nowhere
        // else (docs/benchmarks.md, the connection table).
        var argc: Int32 = 0
        var argv = swiftvs_arguments(&argc)
        if argv == nil { (argc, argv) = (CommandLine.argc, CommandLine.unsafeArgv) }
        if let argv, let connections = ConnectionArguments.request(argc: argc, argv: argv) {
            do { try connections.run() } catch { SwiftVS.exit(withError: error) }
        }
        otherRoutes()
    }

    /// Everything but `list -c` with flags only. A function of its own, never inlined: the
    /// optimiser hoists the metadata the `Task` below needs (`TaskPriority?`, made at run time)
    /// to the start of the function that holds it, which `list -c` would then pay for.
    @inline(never)
    private static func otherRoutes() -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // Called as ipvsadm, ipvsadm-save or ipvsadm-restore (symlinks), or `swiftvs ipvsadm …`:
        // ipvsadm's command line, before anything else is set up.
        if let program = CommandLine.arguments.first, let entry = IpvsadmMode.entry(forProgram: program) {
            exit(entry(program, arguments))
        }
        if arguments.first == "ipvsadm" {
            exit(IpvsadmMode.ipvsadm(program: "ipvsadm", Array(arguments.dropFirst())))
        }
        if QuickCommand.run(arguments) {
            exit(0)
        }
        if arguments.first == "daemon" {
            // Before any thread exists (see both).
            DaemonMain.limitMemory()
            DaemonMain.settleProcess()
        }
        Task { @MainActor in
            await SwiftVS.main()
            exit(0)
        }
        dispatchMain()
    }
}
