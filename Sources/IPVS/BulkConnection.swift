import Synchronization

/// The handle's second connection, for service dumps (large receives), shared by reference.
final class BulkConnection: Sendable {
    let connection: Mutex<Connection>
    init(_ c: consuming sending Connection) { connection = Mutex(c) }
}
