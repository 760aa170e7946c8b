/// How `ipvsadm -R` cuts standard input into command lines (ipvsadm's config_stream.c):
/// words separated by blanks, tabs and carriage returns, one command line per line; the word
/// `ipvsadm` is dropped wherever it is; `#` is not a comment (ipvsadm's test for it never
/// matches, which is why ipvsadm-restore filters such lines out first); a last line without
/// a newline counts like the others.
public enum IpvsadmConfigStream {
    /// The words of each line, in order (an empty array for a line without words).
    public static func lines(_ input: [UInt8]) -> [[String]] {
        var out: [[String]] = []
        var segments = input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let complete = input.last == UInt8(ascii: "\n")
        if complete { segments.removeLast() }
        for segment in segments {
            let words = segment.split(whereSeparator: isBlank).map { String(decoding: $0, as: UTF8.self) }
            out.append(words.filter { $0 != "ipvsadm" })
        }
        return out
    }

    static func isBlank(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r")
    }
}
