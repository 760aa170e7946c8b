/// How the kernel answered one dump: in how many parts (datagrams that carried entries) and
/// how full the fullest part was.
///
/// The kernel lists a dump in parts, one datagram each, taking its lock for each part and
/// resuming the next by index; a part ends when the next entry does not fit. So a dump listed
/// in one part is a table the kernel held, unless that part was cut for room and the table
/// shrank before the next part (which then starts past the end and lists nothing): a part
/// with room left for one more entry was not cut.
struct DumpParts: Sendable, Equatable {
    /// Datagrams that carried entries.
    var count = 0
    /// The longest of them, in bytes.
    var fullest = 0

    /// The smallest part the kernel fills: NLMSG_GOODSIZE with 4 KiB pages (a page less the
    /// skb's shared info). It fills bigger ones when the reader's buffer is bigger.
    static let smallestPart = 3776
    /// More than one service or destination message takes, with every attribute, the longest
    /// scheduler and persistence engine names and both statistics blocks (about 400 bytes).
    static let largestEntry = 1024

    mutating func add(length: Int) {
        count += 1
        fullest = max(fullest, length)
    }

    /// Whether the dump is one part with room left for another entry: listed under the
    /// kernel's lock in one go, and not cut.
    var isOneUncutPart: Bool { count <= 1 && fullest + Self.largestEntry <= Self.smallestPart }
}
