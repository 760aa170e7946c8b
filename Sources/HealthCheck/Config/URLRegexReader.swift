import KeepalivedConfig

/// Reads a url block's regex keywords as keepalived 2.2.7's check_http.c does: what it logs and
/// ignores is a warning here (its config test accepts such files), settings without a regex are
/// dropped, and a pattern PCRE2 refuses is an error (keepalived logs it and keeps a freed
/// pattern, which its first check then uses).
struct URLRegexReader {
    private var pattern: (text: String, location: SourceLocation)?
    private var options: UInt32 = 0
    private var noMatch = false
    private var minOffset = 0
    private var maxOffset: Int?
    private var stack: ClosedRange<Int>?
    private var anySetting = false

    mutating func read(_ s: Statement, into sem: inout Semantics) {
        switch s.keyword.text {
        case "regex":
            guard s.args.count == 1 else { return sem.warn(s.location, "regex missing or too many fields - ignoring") }
            pattern = (s.args[0].text, s.args[0].location)
        case "regex_no_match":
            noMatch = true
            anySetting = true
        case "regex_options":
            for word in s.args {
                if let bit = URLRegexConfig.optionBits[word.text] { options |= bit } else {
                    sem.warn(word.location, "regex_options: unknown option '\(word.text)' - ignoring")
                }
            }
            anySetting = anySetting || options != 0
        case "regex_min_offset":
            minOffset = offset(s, "min", &sem) ?? 0
            anySetting = true
        case "regex_max_offset":
            maxOffset = offset(s, "max", &sem)
            anySetting = true
        default:
            readStack(s, &sem)
        }
    }

    /// keepalived's regex_offset_handler: one decimal value (strtoul, nothing after it), else 0.
    private func offset(_ s: Statement, _ which: String, _ sem: inout Semantics) -> Int? {
        guard s.args.count == 1 else {
            sem.warn(s.location, "Missing or too many options for regex_\(which)_offset - ignoring")
            return nil
        }
        guard let v = Int(s.args[0].text), v >= 0 else {
            sem.warn(s.args[0].location, "Invalid regex_\(which)_offset \(s.args[0].text) specified - ignoring")
            return nil
        }
        return v
    }

    private mutating func readStack(_ s: Statement, _ sem: inout Semantics) {
        guard s.args.count == 2 else { return sem.warn(s.location, "regex_stack requires start and max values - ignoring") }
        guard let start = Int(s.args[0].text), start >= 0 else { return sem.warn(s.args[0].location, "regex_stack invalid start value - ignoring") }
        guard let max = Int(s.args[1].text), max >= 0 else { return sem.warn(s.args[1].location, "regex_stack invalid max value - ignoring") }
        guard start <= max else { return sem.warn(s.location, "regex stack start cannot exceed max value - ignoring") }
        stack = start...max
        anySetting = true
    }

    /// The url's regex once its block is read, checked by compiling it.
    func finish(url: Statement, into sem: inout Semantics) -> URLRegexConfig? {
        guard let pattern else {
            if anySetting || options != 0 { sem.warn(url.location, "regex parameters specified without regex - ignoring them") }
            return nil
        }
        var config = URLRegexConfig(pattern: pattern.text, options: options, noMatch: noMatch, minOffset: minOffset,
                                    maxOffset: maxOffset, stack: stack)
        if let max = maxOffset, minOffset > max {
            sem.warn(url.location, "regex min offset \(minOffset) > regex_max_offset \(max) - ignoring both")
            config.minOffset = 0
            config.maxOffset = nil
        }
        do {
            _ = try PCRE2Pattern(pattern.text, options: options)
        } catch {
            sem.error(pattern.location, "invalid regex '\(pattern.text)': \(error)")
            return nil
        }
        return config
    }
}
