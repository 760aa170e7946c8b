#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IpvsadmFrontEnd

// The ipvsadm names' own executable: `ipvsadm`, `ipvsadm-save`, `ipvsadm-restore` (symlinks to
// it) start with only what ipvsadm's command line needs. Called by its own name it is ipvsadm.
let program = CommandLine.arguments.first ?? "ipvsadm"
let words = Array(CommandLine.arguments.dropFirst())
if let entry = IpvsadmMode.entry(forProgram: program) {
    exit(entry(program, words))
}
exit(IpvsadmMode.ipvsadm(program: "ipvsadm", words))
