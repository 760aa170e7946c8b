import Testing
import Glibc
@testable import HealthCheck

/// Whether this host has OpenSSL 3's libssl (Debian: libssl3), checked with the loader itself.
private let hostHasLibssl3: Bool = {
    guard let handle = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL) else { return false }
    dlclose(handle)
    return true
}()

/// OpenSSL is loaded by dlopen at the first SSL_GET context, not linked: a host without libssl3
/// must get an error that says what is missing and which package brings it.
@Suite struct OpenSSLLibraryTests {
    @Test func theLibraryLoadedIsOpenSSL3sLibssl() {
        #expect(OpenSSLLibrary.soname == "libssl.so.3")
    }

    @Test func aMissingLibraryIsAnExplainedError() {
        // The loader's search for a name no directory has: what a host without libssl3 sees
        // for libssl.so.3.
        let missing = "libssl.so.3.swiftvs-test-missing"
        guard case let .failure(failure) = OpenSSLLibrary.load(missing) else {
            Issue.record("\(missing) loaded")
            return
        }
        #expect(failure.what == "cannot load OpenSSL's \(missing) (SSL_GET needs it: Debian package libssl3)")
        #expect(failure.detail == "\(missing): cannot open shared object file: No such file or directory")
        #expect(failure.description == "SSL context: \(failure.what): \(failure.detail)")
    }

    @Test(.enabled(if: hostHasLibssl3, "libssl.so.3 is not installed (Debian package libssl3)"))
    func theInstalledLibraryLoadsByItsSoname() throws {
        let library = try OpenSSLLibrary.load().get()
        #expect(library.api.pointee.OPENSSL_init_ssl(0, nil) == 1)
    }
}
