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
    var format = numeric
        ? ConnectionFormat.numeric(persistentConnections: persistentConnections)
        : ConnectionFormat(numeric: false, persistentConnections: persistentConnections, resolver: SystemResolver())
    do {
        try ConnectionListing.text(input: table.fd, path: { path.description }, output: STDOUT_FILENO, format: &format)
        return 0
    } catch {
        IpvsadmMode.writeErr("\(error)\n")
        return 1
    }
}
