import Testing

/// Compares two texts line by line, so a failure names the first differing line.
public func expectSameText(_ actual: String, _ expected: String, _ what: String,
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    if actual == expected { return }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(a.count, e.count) {
        let al = i < a.count ? String(a[i]) : "<end>"
        let el = i < e.count ? String(e[i]) : "<end>"
        if al != el {
            Issue.record("\(what): line \(i + 1) differs\n  ours:    \"\(al)\"\n  ipvsadm: \"\(el)\"", sourceLocation: sourceLocation)
            return
        }
    }
    Issue.record("\(what): texts differ", sourceLocation: sourceLocation)
}
