#if canImport(Glibc)
import Glibc
#endif
import CFuzzer

/// The fuzz targets, one per parser or decoder; `SWIFTVS_FUZZ_TARGET` names the one a run
/// exercises (Scripts/fuzz sets it). One binary for all of them: the build, not the run, is
/// what costs (one link instead of eight).
enum FuzzTarget: String, CaseIterable {
    case rules, keepalived, ipvsReply = "ipvs-reply", rtnetlink, vrrp, http, nft, control, dns

    func run(_ bytes: [UInt8]) {
        switch self {
        case .rules: RulesTarget.run(bytes)
        case .keepalived: KeepalivedTarget.run(bytes)
        case .ipvsReply: IPVSReplyTarget.run(bytes)
        case .rtnetlink: RouteTarget.run(bytes)
        case .vrrp: VRRPTarget.run(bytes)
        case .http: HTTPTarget.run(bytes)
        case .nft: NftTarget.run(bytes)
        case .control: ControlTarget.run(bytes)
        case .dns: DNSTarget.run(bytes)
        }
    }

    /// The target `SWIFTVS_FUZZ_TARGET` names; the process ends with a message when it names none.
    static let selected: FuzzTarget = {
        let name = getenv("SWIFTVS_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            let message = Array("swiftvs-fuzz: set SWIFTVS_FUZZ_TARGET to one of: \(names) (got '\(name)')\n".utf8)
            _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            exit(2)
        }
        return target
    }()
}

/// libFuzzer's callback: one input to the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTarget.selected.run(bytes)
    return 0
}

/// The process: libFuzzer's driver with our command line. (SwiftPM names an executable's entry
/// point after its module and links `main` to it, so the target has a `main` of its own rather
/// than libFuzzer's.)
@main
enum FuzzMain {
    static func main() {
        _ = FuzzTarget.selected   // a wrong or missing SWIFTVS_FUZZ_TARGET ends the run at once
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
    }
}
