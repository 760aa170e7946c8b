import CPCRE2

/// Matches a url's `regex` against an HTTP response as it arrives, the way keepalived 2.2.7's
/// `check_regex` does: the subject is the response from its first byte (status line and headers
/// included, as keepalived's first call sees them), each read matched with PCRE2_PARTIAL_HARD;
/// a partial match at a read's end keeps its bytes (and the pattern's lookbehind) for the next
/// read. `regex_min_offset` and `regex_max_offset` bound where a match may start, in bytes from
/// the response's start. Like keepalived there is no final match at the end of the response: a
/// pattern still able to grow there (`a+` on a body ending in `a`) is not a match.
final class RegexBodyScanner {
    /// keepalived discards a partial match that fills its read buffer (MAX_BUFFER_LENGTH 4096,
    /// less its terminating NUL).
    static let keepLimit = 4095

    let pattern: PCRE2Pattern
    let minOffset: Int
    /// One past the last offset a match may start at; nil: no bound.
    let endOffset: Int?
    private let data: OpaquePointer
    private let context: (context: OpaquePointer, stack: OpaquePointer)?
    /// Bytes not yet decided, and the offset of the first of them in the response.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    /// Where in `pending` the next attempt starts (the kept lookbehind is context, not a start).
    private var resumeAt = 0
    private(set) var matched = false

    init(_ config: URLRegexConfig, pattern: PCRE2Pattern) {
        self.pattern = pattern
        minOffset = config.minOffset
        endOffset = config.maxOffset.map { $0 + 1 }
        data = swiftvs_pcre2_match_data_create(pattern.code)
        if let stack = config.stack {
            var s: OpaquePointer?
            let c = swiftvs_pcre2_match_context_with_stack(stack.lowerBound, stack.upperBound, &s)
            context = c.flatMap { c in s.map { (c, $0) } }
        } else {
            context = nil
        }
    }

    deinit {
        swiftvs_pcre2_match_data_free(data)
        if let context { swiftvs_pcre2_match_context_free(context.context, context.stack) }
    }

    /// The next bytes of the response.
    func feed(_ bytes: some Collection<UInt8>) {
        guard !matched, !bytes.isEmpty else { return }
        pending += bytes
        var start = resumeAt
        resumeAt = 0
        if minOffset > 0 {
            if pendingStart + pending.count < minOffset - pattern.maxLookbehind { return skipAll() }
            if pendingStart < minOffset { start = max(start, minOffset - pendingStart) }
        }
        if let endOffset, pendingStart + start >= endOffset { return skipAll() }
        attempt(from: start)
    }

    private func attempt(from start: Int) {
        let rc = pending.withUnsafeBufferPointer { b in
            swiftvs_pcre2_match_partial_hard(pattern.code, b.baseAddress, b.count, start, data, context?.context)
        }
        if rc == PCRE2_ERROR_PARTIAL {
            let keep = max(0, swiftvs_pcre2_match_start(data) - pattern.maxLookbehind)
            if keep == 0 && pending.count >= Self.keepLimit { return skipAll() }
            pending.removeFirst(keep)
            pendingStart += keep
            resumeAt = keep > 0 ? pattern.maxLookbehind : 0
            return
        }
        if rc >= 0, endOffset.map({ pendingStart + swiftvs_pcre2_match_start(data) < $0 }) ?? true { matched = true }
        skipAll()
    }

    private func skipAll() {
        pendingStart += pending.count
        pending.removeAll(keepingCapacity: true)
    }
}
