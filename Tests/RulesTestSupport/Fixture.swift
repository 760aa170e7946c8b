import Foundation
import Testing
import IPVS
import IPVSRules
import TestSupport

/// One directory of Tests/IPVSRulesTests/Fixtures, written by Scripts/make-rules-fixtures:
/// read by the host suites of IPVSRulesTests and by the kernel suite that replays them
/// (KernelTests' `LiveTests`), from the source tree (the VM sees it at the same path).
public struct Fixture: CustomTestStringConvertible, Sendable {
    public let name: String
    public let directory: URL

    public var testDescription: String { name }

    public static let root: URL = TestBinaries.packageRoot.appendingPathComponent("Tests/IPVSRulesTests/Fixtures")

    public static func named(_ name: String) -> Fixture {
        Fixture(name: name, directory: root.appendingPathComponent(name))
    }

    /// The cases that hold a whole captured table.
    public static let tables: [Fixture] = {
        // An unreadable or empty fixture directory must not turn every parameterised test over
        // the tables into a test of no cases, which would pass.
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: root.path) } catch {
            fatalError("cannot list the table fixtures in \(root.path): \(error)")
        }
        let tables = names.sorted().map(named).filter { $0.has("commands") && $0.has("list-n-nosort") }
        precondition(!tables.isEmpty, "no table fixture (commands + list-n-nosort) in \(root.path)")
        return tables
    }()

    public func has(_ file: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path)
    }

    public func text(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    /// The case's resolver: its `names` file if it has one (a case without one resolves
    /// nothing); a `names` file that cannot be read is an error, not an empty resolver.
    public var resolver: TableResolver {
        get throws { TableResolver(namesFile: has("names") ? try text("names") : "") }
    }

    /// The table the case's ipvsadm commands built, parsed with our parser.
    public func commandTable() throws -> [ServiceEntry] {
        let file = try RulesFile.parse(try text("commands"), fileName: "\(name)/commands", resolver: resolver)
        return try file.table()
    }
}
