#ifndef SWIFTVS_COPENSSL_SHIM_H
#define SWIFTVS_COPENSSL_SHIM_H

// OpenSSL (libssl3, found by pkg-config `openssl`): SSL_GET's TLS client, as keepalived uses it.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

// Swift imports neither function-like macros nor macros built from other macros; these
// wrappers give them a typed, callable form.

/// SSL_set_tlsext_host_name (a macro over SSL_ctrl): the SNI name sent in the ClientHello.
static inline long swiftvs_ssl_set_sni(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

/// Initialises libssl (as its first use would) without registering OpenSSL's atexit cleanup:
/// the daemon's exit must not free OpenSSL's global state under a check still running on the
/// reactor thread (a crash seen at SIGTERM during an SSL_GET). Returns 1 on success.
static inline int swiftvs_openssl_init(void) {
    return OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
}

/// SSL_FILETYPE_PEM (defined as X509_FILETYPE_PEM).
static inline int swiftvs_ssl_filetype_pem(void) { return SSL_FILETYPE_PEM; }

/// SSL_CTX_set_options with SSL_OP_IGNORE_UNEXPECTED_EOF: a peer that closes the TCP connection
/// without close_notify ends the body (what keepalived's read loop takes as the end), instead of
/// OpenSSL 3's "unexpected eof while reading" error.
static inline void swiftvs_ssl_ctx_ignore_unexpected_eof(SSL_CTX *ctx) {
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
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
static inline void swiftvs_ssl_ctx_set_password(SSL_CTX *ctx, const char *password) {
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)password);
    SSL_CTX_set_default_passwd_cb(ctx, swiftvs_ssl_password_cb);
}

/// The oldest error on this thread's OpenSSL error queue as text (empty when there is none);
/// the queue is then cleared, so the next operation starts with an empty one.
static inline void swiftvs_ssl_error_text(char *buf, size_t size) {
    unsigned long e = ERR_get_error();
    if (e == 0) { if (size) buf[0] = 0; }
    else ERR_error_string_n(e, buf, size);
    ERR_clear_error();
}

#endif
