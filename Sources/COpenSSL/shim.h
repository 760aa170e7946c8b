#ifndef SWIFTVS_COPENSSL_SHIM_H
#define SWIFTVS_COPENSSL_SHIM_H

// OpenSSL (libssl3; headers from libssl-dev): SSL_GET's TLS client, as keepalived uses it.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

// libssl is not linked: a daemon without SSL_GET (a VRRP-only one, most LVS ones) never maps
// it. Linked, the loader relocated libcrypto's 1.2 MB of read-only data in every daemon, never
// initialised (docs/benchmarks.md, "A VRRP director's resident set"). The first SSL_GET context
// loads libssl.so.N (and through it libcrypto) with dlopen and takes every function it calls from
// it: `swiftvs_openssl_load` (given SWIFTVS_LIBSSL_SONAME; a test gives a name that is missing). The headers give the types, constants and prototypes only.

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SWIFTVS_OPENSSL_STR2(x) #x
#define SWIFTVS_OPENSSL_STR(x) SWIFTVS_OPENSSL_STR2(x)
/// The soname of the libssl the headers are of (Debian 12: libssl.so.3, package libssl3).
#define SWIFTVS_LIBSSL_SONAME "libssl.so." SWIFTVS_OPENSSL_STR(OPENSSL_VERSION_MAJOR)

/// `SWIFTVS_LIBSSL_SONAME` for Swift (which does not import a macro built from others).
static inline const char *swiftvs_libssl_soname(void) { return SWIFTVS_LIBSSL_SONAME; }

/// The OpenSSL functions swiftvs calls, resolved from the loaded library.
typedef struct swiftvs_openssl {
    int (* _Nonnull OPENSSL_init_ssl)(uint64_t, const OPENSSL_INIT_SETTINGS *);
    const SSL_METHOD *(* _Nonnull TLS_client_method)(void);
    SSL_CTX *(* _Nonnull SSL_CTX_new)(const SSL_METHOD *);
    void (* _Nonnull SSL_CTX_free)(SSL_CTX *);
    uint64_t (* _Nonnull SSL_CTX_set_options)(SSL_CTX *, uint64_t);
    void (* _Nonnull SSL_CTX_set_verify_depth)(SSL_CTX *, int);
    int (* _Nonnull SSL_CTX_use_certificate_chain_file)(SSL_CTX *, const char *);
    int (* _Nonnull SSL_CTX_use_PrivateKey_file)(SSL_CTX *, const char *, int);
    int (* _Nonnull SSL_CTX_load_verify_locations)(SSL_CTX *, const char *, const char *);
    void (* _Nonnull SSL_CTX_set_default_passwd_cb)(SSL_CTX *, pem_password_cb *);
    void (* _Nonnull SSL_CTX_set_default_passwd_cb_userdata)(SSL_CTX *, void *);
    SSL *(* _Nonnull SSL_new)(SSL_CTX *);
    void (* _Nonnull SSL_free)(SSL *);
    int (* _Nonnull SSL_set_fd)(SSL *, int);
    long (* _Nonnull SSL_ctrl)(SSL *, int, long, void *);
    void (* _Nonnull SSL_set_quiet_shutdown)(SSL *, int);
    int (* _Nonnull SSL_connect)(SSL *);
    int (* _Nonnull SSL_read)(SSL *, void *, int);
    int (* _Nonnull SSL_write)(SSL *, const void *, int);
    int (* _Nonnull SSL_get_error)(const SSL *, int);
    unsigned long (* _Nonnull ERR_get_error)(void);
    void (* _Nonnull ERR_error_string_n)(unsigned long, char *, size_t);
    void (* _Nonnull ERR_clear_error)(void);
} swiftvs_openssl;

/// Loads libssl (`SWIFTVS_LIBSSL_SONAME`; libcrypto comes with it) and resolves every function
/// of `swiftvs_openssl`. Returns the table (allocated once, kept with the library for the
/// process's life: the caller loads once), or NULL with dlerror()'s text in `error`.
static inline const swiftvs_openssl *swiftvs_openssl_load(const char *soname, char *error, size_t size) {
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(error, size, "%s", dlerror());
        return NULL;
    }
    swiftvs_openssl *o = (swiftvs_openssl *)malloc(sizeof *o);
    if (!o) {
        snprintf(error, size, "out of memory");
        dlclose(lib);
        return NULL;
    }
    // dlsym on libssl's handle also searches its dependencies (libcrypto: OPENSSL_init, ERR_*).
#define SWIFTVS_OPENSSL_SYM(name) \
    if (!(*(void **)&o->name = dlsym(lib, #name))) { \
        snprintf(error, size, "%s", dlerror()); free(o); dlclose(lib); return NULL; \
    }
    SWIFTVS_OPENSSL_SYM(OPENSSL_init_ssl)
    SWIFTVS_OPENSSL_SYM(TLS_client_method)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_new)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_free)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_set_options)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_set_verify_depth)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_use_certificate_chain_file)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_use_PrivateKey_file)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_load_verify_locations)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_set_default_passwd_cb)
    SWIFTVS_OPENSSL_SYM(SSL_CTX_set_default_passwd_cb_userdata)
    SWIFTVS_OPENSSL_SYM(SSL_new)
    SWIFTVS_OPENSSL_SYM(SSL_free)
    SWIFTVS_OPENSSL_SYM(SSL_set_fd)
    SWIFTVS_OPENSSL_SYM(SSL_ctrl)
    SWIFTVS_OPENSSL_SYM(SSL_set_quiet_shutdown)
    SWIFTVS_OPENSSL_SYM(SSL_connect)
    SWIFTVS_OPENSSL_SYM(SSL_read)
    SWIFTVS_OPENSSL_SYM(SSL_write)
    SWIFTVS_OPENSSL_SYM(SSL_get_error)
    SWIFTVS_OPENSSL_SYM(ERR_get_error)
    SWIFTVS_OPENSSL_SYM(ERR_error_string_n)
    SWIFTVS_OPENSSL_SYM(ERR_clear_error)
#undef SWIFTVS_OPENSSL_SYM
    return o;
}

// Swift imports neither function-like macros nor macros built from other macros; these
// wrappers give them a typed, callable form.

/// SSL_set_tlsext_host_name (a macro over SSL_ctrl): the SNI name sent in the ClientHello.
static inline long swiftvs_ssl_set_sni(const swiftvs_openssl *o, SSL *ssl, const char *name) {
    return o->SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)name);
}

/// Initialises libssl (as its first use would) without registering OpenSSL's atexit cleanup:
/// the daemon's exit must not free OpenSSL's global state under a check still running on the
/// reactor thread (a crash seen at SIGTERM during an SSL_GET). Returns 1 on success.
static inline int swiftvs_openssl_init(const swiftvs_openssl *o) {
    return o->OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
}

/// SSL_FILETYPE_PEM (defined as X509_FILETYPE_PEM).
static inline int swiftvs_ssl_filetype_pem(void) { return SSL_FILETYPE_PEM; }

/// SSL_CTX_set_options with SSL_OP_IGNORE_UNEXPECTED_EOF: a peer that closes the TCP connection
/// without close_notify ends the body (what keepalived's read loop takes as the end), instead of
/// OpenSSL 3's "unexpected eof while reading" error.
static inline void swiftvs_ssl_ctx_ignore_unexpected_eof(const swiftvs_openssl *o, SSL_CTX *ctx) {
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    o->SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
}

/// The PEM password callback keepalived installs for `SSL { password }`: copies the password
/// given as the callback's user data (a NUL-terminated string the caller keeps alive as long as
/// the context) into OpenSSL's buffer, or fails when it does not fit.
static inline int swiftvs_ssl_password_cb(char *buf, int size, int rwflag, void *userdata) {
    (void)rwflag;
    const char *password = (const char *)userdata;
    size_t len = strlen(password);
    if ((size_t)size < len + 1) return 0;
    memcpy(buf, password, len + 1);
    return (int)len;
}

/// Installs `swiftvs_ssl_password_cb` with `password` as its user data.
static inline void swiftvs_ssl_ctx_set_password(const swiftvs_openssl *o, SSL_CTX *ctx, const char *password) {
    o->SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)password);
    o->SSL_CTX_set_default_passwd_cb(ctx, swiftvs_ssl_password_cb);
}

/// The oldest error on this thread's OpenSSL error queue as text (empty when there is none);
/// the queue is then cleared, so the next operation starts with an empty one.
static inline void swiftvs_ssl_error_text(const swiftvs_openssl *o, char *buf, size_t size) {
    unsigned long e = o->ERR_get_error();
    if (e == 0) { if (size) buf[0] = 0; }
    else o->ERR_error_string_n(e, buf, size);
    o->ERR_clear_error();
}

#endif
