import Foundation
import Testing
@testable import HostNetwork

/// Inputs the rtnetlink fuzz target (Fuzz/, Scripts/fuzz) found bugs with, checked in under
/// Fuzz/regressions/rtnetlink/.
@Suite struct RouteFuzzRegressionTests {
    static func input(_ name: String) throws -> [UInt8] {
        let root = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        let path = "\(root)/Fuzz/regressions/rtnetlink/\(name)"
        return try #require(FileManager.default.contents(atPath: path).map(Array.init), "cannot read \(path)")
    }

    /// An NLMSG_ERROR whose error is INT_MIN trapped (its negation overflows). Only -1…-4095 are
    /// errnos and 0 an ACK: anything else is a malformed datagram, refused as such.
    @Test func errorOutsideTheErrnoRangeIsRefused() throws {
        let datagram = try Self.input("nlmsg-error-int-min")
        #expect(throws: RouteMessageDecoder.DecodeError.self) { try datagram.withUnsafeBytes { try RouteMessageDecoder.decode($0) } }
        // The same message with a real errno is that errno; with 0, an ACK.
        var eperm = Array(datagram[0..<20])
        eperm.replaceSubrange(16..<20, with: withUnsafeBytes(of: Int32(-1)) { Array($0) })
        #expect(try eperm.withUnsafeBytes { try RouteMessageDecoder.decode($0) } == [.error(errno: .notPermitted, sequence: 0x3100)])
        var ack = eperm
        ack.replaceSubrange(16..<20, with: [0, 0, 0, 0])
        #expect(try ack.withUnsafeBytes { try RouteMessageDecoder.decode($0) } == [.ignored])
    }
}
