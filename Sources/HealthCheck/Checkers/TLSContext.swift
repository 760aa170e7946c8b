import COpenSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The OpenSSL client context every SSL_GET of one `SSL { }` configuration shares, built as
/// keepalived 2.2.7 builds its own (check_ssl.c): TLS_method, the certificate chain, the key
/// (with the PEM password), the CA file, verify depth 1, and no verification of the server
/// (keepalived never sets SSL_VERIFY_PEER, so a self-signed or expired certificate passes).
///
/// OpenSSL is loaded (`OpenSSLLibrary`) and initialised when the first context is made (without
/// its atexit cleanup, which could run under a check still in flight at exit), so a daemon with
/// no SSL_GET never pays for it: neither mapped nor initialised.
final class TLSContext: Sendable {
    /// The SSL_CTX. Thread-safe once set up (SSL_new from any thread); freed with the context.
    nonisolated(unsafe) let ctx: OpaquePointer
    /// The library the context is of.
    let ssl: OpenSSLLibrary
    /// The password the callback hands OpenSSL, kept for the context's life.
    private nonisolated(unsafe) let password: UnsafeMutablePointer<CChar>?

    /// Why a context could not be built (keepalived: "SSL error : Cant load key file...").
    struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        var what: String
        var detail: String
        var description: String { detail.isEmpty ? "SSL context: \(what)" : "SSL context: \(what): \(detail)" }
    }

    init(_ config: SSLConfig?) throws(Failure) {
        let ssl = try OpenSSLLibrary.shared.get()
        let o = ssl.api
        guard swiftvs_openssl_init(o) == 1 else { throw Failure(what: "cannot initialise OpenSSL", detail: Self.lastError(ssl)) }
        guard let ctx = o.pointee.SSL_CTX_new(o.pointee.TLS_client_method()) else {
            throw Failure(what: "cannot create a new SSL context", detail: Self.lastError(ssl))
        }
        self.ssl = ssl
        self.ctx = ctx
        password = config?.password.map { strdup($0) }
        swiftvs_ssl_ctx_ignore_unexpected_eof(o, ctx)
        o.pointee.SSL_CTX_set_verify_depth(ctx, 1)
        if let config { try load(config) }
    }

    deinit {
        ssl.api.pointee.SSL_CTX_free(ctx)
        free(password)
    }

    /// The files of the `SSL` block, in keepalived's order: certificate, password, key, CA.
    private func load(_ c: SSLConfig) throws(Failure) {
        let o = ssl.api
        if let cert = c.certificate, o.pointee.SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 {
            throw Failure(what: "cannot load certificate file \(cert)", detail: lastError())
        }
        if let password { swiftvs_ssl_ctx_set_password(o, ctx, password) }
        if let key = c.key, o.pointee.SSL_CTX_use_PrivateKey_file(ctx, key, swiftvs_ssl_filetype_pem()) != 1 {
            throw Failure(what: "cannot load key file \(key)", detail: lastError())
        }
        if let ca = c.ca, o.pointee.SSL_CTX_load_verify_locations(ctx, ca, nil) != 1 {
            throw Failure(what: "cannot load CA file \(ca)", detail: lastError())
        }
    }

    /// The oldest OpenSSL error of this thread as text; the queue is cleared.
    func lastError() -> String { Self.lastError(ssl) }

    /// The oldest error of this thread on `library`'s queue as text; the queue is cleared.
    static func lastError(_ library: OpenSSLLibrary) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        swiftvs_ssl_error_text(library.api, &buf, buf.count)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The TLS contexts of a daemon, one per distinct `SSL` configuration in use, made on first use.
///
/// Only weak references are kept: the SSL_GET checkers own their context, so a context lives as
/// long as one checker of its configuration does. A reload that leaves the `SSL` block as it was
/// keeps its checkers and so the context; one that changes it replaces those checkers, and the
/// old context is freed (SSL_CTX_free) once the last of them has finished its check in flight,
/// where keeping every context ever made would hold each old certificate, key and CA store for
/// the daemon's life. A context that could not be made is not kept: each checker made for that
/// configuration tries again (reads the files again), and reports the failure in its results.
final class TLSContexts: Sendable {
    /// A context no checker holds any more reads as nil.
    private struct Entry {
        weak var context: TLSContext?
    }

    private let made = Mutex<[SSLConfig?: Entry]>([:])

    init() {}

    /// The context for `config`: the live one, or one made now.
    func context(for config: SSLConfig?) -> Result<TLSContext, TLSContext.Failure> {
        made.withLock { m in
            if let live = m[config]?.context { return .success(live) }
            m = m.filter { $0.value.context != nil }
            do throws(TLSContext.Failure) {
                let context = try TLSContext(config)
                m[config] = Entry(context: context)
                return .success(context)
            } catch {
                m[config] = nil
                return .failure(error)
            }
        }
    }

    /// The contexts alive now (held by a checker).
    var live: [TLSContext] {
        made.withLock { m in m.values.compactMap(\.context) }
    }
}
