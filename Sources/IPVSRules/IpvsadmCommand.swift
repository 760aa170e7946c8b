#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// ipvsadm's commands, with their spellings (`IpvsadmOption.specs` takes them from here).
enum IpvsadmCommand: Hashable, Sendable, CaseIterable {
    case add, edit, delete, flush, list, zero, addServer, editServer, deleteServer
    case set, help, version, restore, save, startDaemon, stopDaemon

    /// ipvsadm's own name, used in its messages.
    var name: String {
        switch self {
        case .add: return "add-service"
        case .edit: return "edit-service"
        case .delete: return "delete-service"
        case .flush: return "clear"
        case .list: return "list"
        case .zero: return "zero"
        case .addServer: return "add-server"
        case .editServer: return "edit-server"
        case .deleteServer: return "delete-server"
        case .set: return "set"
        case .help: return "help"
        case .version: return "version"
        case .restore: return "restore"
        case .save: return "save"
        case .startDaemon: return "start-daemon"
        case .stopDaemon: return "stop-daemon"
        }
    }

    var short: String {
        switch self {
        case .add: return "-A"
        case .edit: return "-E"
        case .delete: return "-D"
        case .flush: return "-C"
        case .list: return "-L"
        case .zero: return "-Z"
        case .addServer: return "-a"
        case .editServer: return "-e"
        case .deleteServer: return "-d"
        case .set: return "--set"
        case .help: return "-h"
        case .version: return "-v"
        case .restore: return "-R"
        case .save: return "-S"
        case .startDaemon: return "--start-daemon"
        case .stopDaemon: return "--stop-daemon"
        }
    }

    /// The letter of the short option (`-A`: A); nil for a command that has only a long one.
    var letter: Character? { short.count == 2 ? short.last : nil }

    /// Whether the command option takes a value: the sync daemon's role.
    var takesRole: Bool { self == .startDaemon || self == .stopDaemon }

    var allowedInRules: Bool {
        switch self {
        case .list, .help, .version, .restore, .save: return false
        default: return true
        }
    }

    /// ipvsadm's commands_v_options table, for the commands a rules file may hold.
    var required: [OptionClass] {
        switch self {
        case .add, .edit, .delete: return [.service]
        case .addServer, .editServer, .deleteServer: return [.service, .server]
        default: return []
        }
    }

    var optional: Set<OptionClass> {
        switch self {
        case .add, .edit: return Self.serviceOptional
        case .addServer, .editServer: return Self.serverOptional
        case .startDaemon: return Self.startDaemonOptional
        case .stopDaemon: return Self.stopDaemonOptional
        case .zero: return Self.zeroOptional
        default: return []
        }
    }

    // Built once: `optional` is consulted for every option of every line of a rules file.
    private static let serviceOptional: Set<OptionClass> = [.scheduler, .persistent, .netmask, .ops, .pe, .schedFlags]
    private static let serverOptional: Set<OptionClass> =
        [.forward, .weight, .uThreshold, .lThreshold, .tunType, .tunPort, .tunNocsum, .tunCsum, .tunRemcsum]
    private static let startDaemonOptional: Set<OptionClass> = [.mcastInterface, .syncid, .mcastGroup, .mcastPort, .mcastTTL, .syncMaxlen]
    private static let stopDaemonOptional: Set<OptionClass> = [.syncid]
    private static let zeroOptional: Set<OptionClass> = [.service]
}
