#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HealthCheck
import Director

// swiftvs-healthd: the process `swiftvs daemon` becomes (DaemonMain.exec). The same daemon,
// without the command-line tool around it: no ArgumentParser, no Foundation, so the
// long-running process maps, relocates and touches only what the daemon runs. It reads the
// options exactly as `swiftvs daemon` passes them (HealthDaemonOptions.arguments); for help and
// for every other spelling of them, use `swiftvs daemon`.
DaemonMain.limitMemory()
DaemonMain.settleProcess()
guard let options = HealthDaemonOptions(plain: Array(CommandLine.arguments.dropFirst()), dashValues: true) else {
    DaemonMain.fail("\(DaemonMain.helperName): unexpected arguments; it is started by 'swiftvs daemon'",
                    hint: "'swiftvs daemon --help' lists the options", status: 2)
}
// The metrics listener and `--netns` before the first await: the process has one thread yet.
let prepared = DaemonMain.prepare(options)
await DaemonMain.run(options, prepared: prepared)
