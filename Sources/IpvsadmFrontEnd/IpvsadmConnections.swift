#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVS
import IPVSRules

/// `ipvsadm -L -c [-n] [--persistent-conn]` (also `-lcn`, `-Lnc`): the connection table as
/// ipvsadm prints it, streamed from /proc/net/ip_vs_conn by the same `ConnectionListing` that
/// `swiftvs list -c` uses. Returns the exit status, having written the listing (or ipvsadm's
/// error: "cannot open file …", "unexpected input from …", status 1) itself.
func ipvsadmListConnections(numeric: Bool, persistentConnections: Bool) -> Int32 {
    let path = ConnectionTableFile.path
    let table: ConnectionTableFile
    do { table = try ConnectionTableFile() } catch {
        IpvsadmMode.writeErr("cannot open file \(path)\n")
        return 1
    }
    let resolver: any NameResolver = numeric ? NumericResolver() : SystemResolver()
    let format = ConnectionFormat(numeric: numeric, persistentConnections: persistentConnections, resolver: resolver)
    do {
        try ConnectionListing.run(input: table.fd, path: path, output: STDOUT_FILENO, mode: .text(format))
        return 0
    } catch {
        IpvsadmMode.writeErr("\(error)\n")
        return 1
    }
}
