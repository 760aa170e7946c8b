import COpenSSL

/// OpenSSL's functions, from libssl loaded at run time (dlopen) by the first SSL_GET context.
///
/// The daemon is not linked with libssl: linked, the loader mapped and relocated it and
/// libcrypto in every daemon (1.7 MB resident, libcrypto's relocated read-only data most of it),
/// also one without SSL_GET, a VRRP-only one, that never initialises them. Loaded once per
/// process (a library, like its handle, is the process's), kept for the process's life.
struct OpenSSLLibrary: @unchecked Sendable {
    /// The resolved functions (immutable once loaded; OpenSSL's own calls are thread-safe).
    let api: UnsafePointer<swiftvs_openssl>

    /// The library, loaded on first use; the failure (libssl missing, a function not found) is
    /// kept too, so each context made reports it without trying again.
    static let shared: Result<OpenSSLLibrary, TLSContext.Failure> = load()

    /// Loads the library file `name` (`soname`; internal so that a test can name one that is
    /// missing and read the error a host without libssl3 gets).
    static func load(_ name: String = soname) -> Result<OpenSSLLibrary, TLSContext.Failure> {
        var error = [CChar](repeating: 0, count: 512)
        guard let api = swiftvs_openssl_load(name, &error, error.count) else {
            let detail = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(TLSContext.Failure(
                what: "cannot load OpenSSL's \(name) (SSL_GET needs it: Debian package libssl3)", detail: detail))
        }
        return .success(OpenSSLLibrary(api: api))
    }

    /// The library's file name (libssl.so.3 for OpenSSL 3).
    static var soname: String { String(cString: swiftvs_libssl_soname()) }
}
