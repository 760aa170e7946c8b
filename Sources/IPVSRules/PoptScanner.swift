/// ipvsadm's command line as popt 1.19 (Debian 12's libpopt0) hands it to ipvsadm: one option
/// at a time, in order, so that an option's own check can fail before popt reaches a bad word
/// further on.
///
/// What is emulated, from popt.c's `poptGetNextOpt` with ipvsadm's option table (no aliases,
/// no ONEDASH options): `--long` and `--long=value`; clusters of short options (`-Lnc`), where
/// an option taking a value takes the rest of the word (`-w5`, `-w=5`) or else the next word,
/// whatever it starts with; `-p`'s optional value, taken only from a next word that does not
/// start with `-`; `--` ending the options; `-` and every word not starting with `-` left over
/// as arguments, wherever they are. A single dash never spells a long option (`-list` is
/// `-l -i -s t`).
struct PoptScanner {
    /// One step: an option with its value, or popt's error for the word it stopped at.
    enum Item: Equatable {
        case option(IpvsadmOption, value: String?)
        /// The word as `poptBadOption` returns it (the whole argv word) and popt's error.
        case error(word: String, PoptError)
    }

    /// popt's errors that ipvsadm's option table can produce, with `poptStrerror`'s text.
    enum PoptError: Equatable {
        case missingArgument, unknownOption, unwantedArgument

        var text: String {
            switch self {
            case .missingArgument: return "missing argument"
            case .unknownOption: return "unknown option"
            case .unwantedArgument: return "option does not take an argument"
            }
        }
    }

    private let words: [String]
    private var next = 0
    /// The rest of a cluster of short options, and the word it is in.
    private var cluster: Substring?
    private var clusterWord = ""
    private var restLeftover = false
    /// Words that are not options, in order (popt's leftovers, read by `poptGetArg`).
    private(set) var leftovers: [String] = []

    init(_ words: [String]) { self.words = words }

    /// The argv word popt read last (`poptBadOption`): the one an option came from, or its
    /// value's when the value was the next word.
    var lastWord: String { next > 0 ? words[next - 1] : "" }

    /// The next option, an error, or nil when the words are used up.
    mutating func nextItem() -> Item? {
        while true {
            if let rest = cluster {
                return short(rest)
            }
            guard next < words.count else { return nil }
            let word = words[next]
            next += 1
            if restLeftover || !word.hasPrefix("-") || word == "-" {
                leftovers.append(word)
                continue
            }
            if word == "--" {
                restLeftover = true
                continue
            }
            if word.hasPrefix("--") {
                return long(word)
            }
            clusterWord = word
            cluster = word.dropFirst()
        }
    }

    private mutating func long(_ word: String) -> Item {
        let body = word.dropFirst(2)
        let name: Substring
        var inline: String?
        if let eq = body.firstIndex(of: "=") {
            name = body[..<eq]
            inline = String(body[body.index(after: eq)...])
        } else {
            name = body
        }
        guard let spec = IpvsadmOption.byLong[String(name)] else { return .error(word: word, .unknownOption) }
        return take(spec, word: word, attached: inline)
    }

    private mutating func short(_ rest: Substring) -> Item {
        let c = rest.first!
        let after = rest.dropFirst()
        cluster = after.isEmpty ? nil : after
        guard let spec = IpvsadmOption.short(c) else {
            cluster = nil
            return .error(word: clusterWord, .unknownOption)
        }
        if spec.argument == .none {
            if after.first == "=" {
                cluster = nil
                return .error(word: clusterWord, .unwantedArgument)
            }
            return .option(spec.option, value: nil)
        }
        cluster = nil
        if after.isEmpty { return take(spec, word: clusterWord, attached: nil) }
        return .option(spec.option, value: String(after.first == "=" ? after.dropFirst() : after))
    }

    /// The option's value: attached, else the next word (for `-p` only one not starting with `-`).
    private mutating func take(_ spec: IpvsadmOption.Spec, word: String, attached: String?) -> Item {
        switch spec.argument {
        case .none:
            return attached == nil ? .option(spec.option, value: nil) : .error(word: word, .unwantedArgument)
        case .required, .optional:
            if let attached { return .option(spec.option, value: attached) }
            guard next < words.count else {
                return spec.argument == .optional ? .option(spec.option, value: nil) : .error(word: word, .missingArgument)
            }
            if spec.argument == .optional, words[next].hasPrefix("-") { return .option(spec.option, value: nil) }
            next += 1
            return .option(spec.option, value: words[next - 1])
        }
    }

    /// The words left over once the options are read (ipvsadm reads them only then).
    mutating func remainingLeftovers() -> [String] {
        while nextItem() != nil {}
        return leftovers
    }
}
