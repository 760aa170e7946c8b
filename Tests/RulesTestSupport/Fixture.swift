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
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().map(named).filter { $0.has("commands") && $0.has("list-n-nosort") }
    }()

    public func has(_ file: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path)
    }

    public func text(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    public var resolver: TableResolver {
        TableResolver(namesFile: (try? text("names")) ?? "")
    }

    /// The table the case's ipvsadm commands built, parsed with our parser.
    public func commandTable() throws -> [ServiceEntry] {
        let file = try RulesFile.parse(try text("commands"), fileName: "\(name)/commands", resolver: resolver)
        return try file.table()
    }
}
