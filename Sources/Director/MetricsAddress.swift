import NetworkModel

/// Where `--metrics` listens: `ADDRESS:PORT`, an IPv6 address in brackets
/// (`127.0.0.1:9540`, `[::1]:9540`, `[::]:9540`). No host names: the daemon resolves nothing.
public struct MetricsAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    /// Why a `--metrics` value is not an address and port.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var text: String
        public var reason: String
        public var description: String { "--metrics '\(text)': \(reason) (expected ADDRESS:PORT, an IPv6 address in brackets: 127.0.0.1:9540, [::1]:9540)" }
    }

    /// Reads `ADDRESS:PORT` or `[IPV6]:PORT`.
    public init(parsing text: String) throws(ParseError) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw ParseError(text: text, reason: "no ']' after the IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ParseError(text: text, reason: "no ':PORT' after ']'") }
            portText = rest.dropFirst()
            guard let a = IPAddress(host), a.family == .inet6 else { throw ParseError(text: text, reason: "'\(host)' is not an IPv6 address") }
            address = a
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ParseError(text: text, reason: "no ':PORT'") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard let a = IPAddress(host), a.family == .inet else {
                throw ParseError(text: text, reason: host.contains(":") ? "an IPv6 address goes in brackets" : "'\(host)' is not an IPv4 address")
            }
            address = a
        }
        guard let p = UInt16(portText), p > 0 else { throw ParseError(text: text, reason: "'\(portText)' is not a port (1-65535)") }
        port = p
    }

    public var description: String { address.family == .inet6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}
