/// `ipvsadm -L -c [-n] [--persistent-conn]` (also `-lcn`, `-Lnc`): the connection table as
/// ipvsadm prints it. The one call the ipvsadm front end makes for it; it returns the exit
/// status, having written the listing (or ipvsadm's error) itself.
///
/// NOT YET: the connection-table reader and renderer (`swiftvs list -c`) is built on its own
/// branch; until it is connected here, this says so on standard error and exits 1 rather
/// than print something that is not ipvsadm's listing.
func ipvsadmListConnections(numeric: Bool, persistentConnections: Bool) -> Int32 {
    IpvsadmMode.writeErr("swiftvs: ipvsadm -L -c (the connection table) is not available in this build yet\n")
    return 1
}
