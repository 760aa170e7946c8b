#ifndef SWIFTVS_CPCRE2_SHIM_H
#define SWIFTVS_CPCRE2_SHIM_H

// PCRE2, 8-bit code units (libpcre2-8-0, found by pkg-config `libpcre2-8`): HTTP_GET's and
// SSL_GET's `regex`, as keepalived builds it (--enable-regex).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

// pcre2.h names every function by a width-suffix macro (pcre2_compile is pcre2_compile_8),
// which Swift does not import; these wrappers give the calls a typed, callable form.

/// Compiles `pattern` (`length` bytes) with `options`; NULL with the error code and offset set.
static inline pcre2_code_8 *swiftvs_pcre2_compile(const unsigned char *pattern, size_t length, uint32_t options,
                                                  int *error, size_t *offset) {
    PCRE2_SIZE off = 0;
    pcre2_code_8 *code = pcre2_compile(pattern, length, options, error, &off, NULL);
    *offset = (size_t)off;
    return code;
}

static inline void swiftvs_pcre2_code_free(pcre2_code_8 *code) { pcre2_code_free(code); }

/// JIT compilation for partial-hard matching, as keepalived does it; 0 on success.
static inline int swiftvs_pcre2_jit_compile(pcre2_code_8 *code) { return pcre2_jit_compile(code, PCRE2_JIT_PARTIAL_HARD); }

/// PCRE2_INFO_MAXLOOKBEHIND: how many bytes before a partial match must be kept.
static inline uint32_t swiftvs_pcre2_max_lookbehind(const pcre2_code_8 *code) {
    uint32_t v = 0;
    pcre2_pattern_info(code, PCRE2_INFO_MAXLOOKBEHIND, &v);
    return v;
}

static inline pcre2_match_data_8 *swiftvs_pcre2_match_data_create(const pcre2_code_8 *code) {
    return pcre2_match_data_create_from_pattern(code, NULL);
}

static inline void swiftvs_pcre2_match_data_free(pcre2_match_data_8 *data) { pcre2_match_data_free(data); }

/// A match context whose JIT stack is `start`..`max` bytes (keepalived's regex_stack); the stack
/// is returned through `stack` so that the caller frees both.
static inline pcre2_match_context_8 *swiftvs_pcre2_match_context_with_stack(size_t start, size_t max, pcre2_jit_stack_8 **stack) {
    *stack = pcre2_jit_stack_create(start, max, NULL);
    if (*stack == NULL) return NULL;
    pcre2_match_context_8 *context = pcre2_match_context_create(NULL);
    if (context != NULL) pcre2_jit_stack_assign(context, NULL, *stack);
    return context;
}

static inline void swiftvs_pcre2_match_context_free(pcre2_match_context_8 *context, pcre2_jit_stack_8 *stack) {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
}

/// pcre2_match with PCRE2_PARTIAL_HARD (keepalived's call): >= 0 a match, PCRE2_ERROR_PARTIAL
/// a match that could continue past the end, PCRE2_ERROR_NOMATCH none, else an error.
static inline int swiftvs_pcre2_match_partial_hard(const pcre2_code_8 *code, const unsigned char *subject, size_t length,
                                                   size_t start, pcre2_match_data_8 *data, pcre2_match_context_8 *context) {
    return pcre2_match(code, subject, length, start, PCRE2_PARTIAL_HARD, data, context);
}

/// Where the match (or the partial match) starts: ovector[0].
static inline size_t swiftvs_pcre2_match_start(pcre2_match_data_8 *data) { return (size_t)pcre2_get_ovector_pointer(data)[0]; }

/// PCRE2's message for an error code, in `buffer`; its length, or a negative code.
static inline int swiftvs_pcre2_error_message(int code, unsigned char *buffer, size_t size) {
    return pcre2_get_error_message(code, buffer, size);
}

#endif
