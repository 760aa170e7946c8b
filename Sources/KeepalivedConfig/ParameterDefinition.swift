/// A `$NAME=VALUE` definition of keepalived.conf's parameter substitution, or one of
/// keepalived's predefined ones (`_PWD`, `_INSTANCE`, `_RANDOM`, `_HASH`, `_BANG`).
struct ParameterDefinition: Sendable {
    /// What a predefined definition computes at each use.
    enum Builtin: Sendable {
        /// The directory of the file being read.
        case pwd
        /// The configuration id.
        case instance
        /// A random integer in [MIN, MAX] (`${_RANDOM MIN MAX}`, defaults 0 and 32767).
        case random
    }

    var name: String
    /// The value as written (substituted when used, not when defined); the lines of a
    /// multi-line definition are separated by "\n" characters.
    var value: SourceText
    /// Defined with a trailing `\`: used only where `$NAME` ends its line.
    var multiline: Bool
    var builtin: Builtin?
    /// How many numbers `${NAME N M}` may give (only `_RANDOM` takes any).
    var maxParameters = 0
    /// Where `$NAME=` was written; nil for a predefined one.
    var definedAt: SourceLocation?

    /// keepalived's predefined definitions.
    static func predefined() -> [String: ParameterDefinition] {
        func text(_ s: String) -> SourceText {
            let nowhere = SourceOrigin(.fixed(SourceLocation(file: "", line: 0, column: 0)))
            return s.map { SourceChar(char: $0, origin: nowhere, offset: 0) }
        }
        let defs = [
            ParameterDefinition(name: "_PWD", value: [], multiline: false, builtin: .pwd),
            ParameterDefinition(name: "_INSTANCE", value: [], multiline: false, builtin: .instance),
            ParameterDefinition(name: "_RANDOM", value: [], multiline: false, builtin: .random, maxParameters: 2),
            ParameterDefinition(name: "_HASH", value: text("#"), multiline: false),
            ParameterDefinition(name: "_BANG", value: text("!"), multiline: false),
        ]
        return Dictionary(uniqueKeysWithValues: defs.map { ($0.name, $0) })
    }

    /// keepalived 2.2.7's `get_random`: MIN and MAX from the parameter digits (defaults 0 and
    /// 32767, read as `strtoul` reads them), `random() % (MAX - MIN + 1) + MIN` in C's unsigned
    /// long arithmetic, printed in at most as many characters as MAX has digits (so MAX below
    /// MIN gives the first digits of a larger number, as keepalived does).
    static func random(parameters: String?, using generator: inout GlibcRandom) -> String {
        var low: UInt64 = 0
        var high: UInt64 = 32767
        if let parameters {
            let numbers = parameters.split(separator: " ").map { digits in
                digits.reduce(UInt64(0)) { n, d in
                    let (m, o1) = n.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(UInt64(d.wholeNumberValue ?? 0))
                    return o1 || o2 ? UInt64.max : a   // strtoul saturates at ULONG_MAX
                }
            }
            if let first = numbers.first { low = first }
            if numbers.count > 1 { high = numbers[1] }
        }
        let width = String(Int64(bitPattern: high).magnitude).count   // digits of (long)MAX, no sign
        let draw = UInt64(generator.next())
        let span = high &- low &+ 1
        // keepalived divides by zero there (SIGFPE, fixed after 2.2.7); the draw itself instead.
        let value = Int64(bitPattern: (span == 0 ? draw : draw % span) &+ low)
        return String(String(value).prefix(width))
    }
}

/// keepalived's `~SEQ(VAR, START, STEP, END) TEXT` and `~LST(VARS, VALUES…) TEXT`: TEXT read
/// once per value, with the variable(s) defined as that value first.
struct SequenceBlock: Sendable {
    enum Values: Sendable {
        /// ~SEQ: the next number, the step, the last, hexadecimal output (~SEQx).
        case numbers(variable: String, next: Int, step: Int, last: Int, hex: Bool)
        /// ~LST: the variables and the sets of values still to come.
        case list(variables: [String], sets: [[String]], index: Int)
    }

    var values: Values
    /// The text after the closing parenthesis.
    var text: SourceText
    /// Where the `~` is: the variables are defined there.
    var location: SourceLocation

    /// The definitions for the next round and its note; nil when the block is done.
    mutating func next() -> (definitions: [(String, String)], note: String)? {
        switch values {
        case let .numbers(variable, next, step, last, hex):
            if (step > 0 && next > last) || (step < 0 && next < last) { return nil }
            let value = hex ? String(UInt(bitPattern: next), radix: 16) : String(next)
            values = .numbers(variable: variable, next: next + step, step: step, last: last, hex: hex)
            return ([(variable, value)], "~SEQ \(variable)=\(value) at \(location)")
        case let .list(variables, sets, index):
            guard index < sets.count else { return nil }
            values = .list(variables: variables, sets: sets, index: index + 1)
            let defs = Array(zip(variables, sets[index]))
            return (defs, "~LST " + defs.map { "\($0.0)=\($0.1)" }.joined(separator: " ") + " at \(location)")
        }
    }

    /// Whether a round is left.
    var isDone: Bool {
        switch values {
        case let .numbers(_, next, step, last, _): return (step > 0 && next > last) || (step < 0 && next < last)
        case let .list(_, sets, index): return index >= sets.count
        }
    }
}
