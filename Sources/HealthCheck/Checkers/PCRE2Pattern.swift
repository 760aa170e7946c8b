import CPCRE2

/// A compiled PCRE2 pattern (8-bit), JIT-compiled for partial-hard matching when the library can,
/// as keepalived compiles HTTP_GET's `regex`. Immutable once made; each match brings its own
/// match data (`RegexBodyScanner`), so one pattern serves every checker that names it.
final class PCRE2Pattern: @unchecked Sendable {
    /// Why a pattern did not compile: PCRE2's message and the byte offset it points at.
    struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
        var message: String
        var offset: Int
        var description: String { "\(message) at offset \(offset)" }
    }

    let code: OpaquePointer
    /// PCRE2_INFO_MAXLOOKBEHIND: bytes kept before a partial match when the next read comes.
    let maxLookbehind: Int

    init(_ pattern: String, options: UInt32) throws(CompileError) {
        var error: Int32 = 0
        var offset = 0
        let bytes = Array(pattern.utf8)
        let compiled = bytes.withUnsafeBufferPointer { b in
            swiftvs_pcre2_compile(b.baseAddress, b.count, options, &error, &offset)
        }
        guard let compiled else { throw CompileError(message: Self.message(error), offset: offset) }
        code = compiled
        // Without JIT the interpreter gives the same answers, only slower.
        _ = swiftvs_pcre2_jit_compile(compiled)
        maxLookbehind = Int(swiftvs_pcre2_max_lookbehind(compiled))
    }

    deinit { swiftvs_pcre2_code_free(code) }

    /// PCRE2's text for an error code.
    static func message(_ code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBufferPointer { swiftvs_pcre2_error_message(code, $0.baseAddress, $0.count) }
        return n < 0 ? "PCRE2 error \(code)" : String(decoding: buffer[..<Int(n)], as: UTF8.self)
    }
}
