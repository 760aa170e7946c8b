/// A connected byte stream a checker talks over: a plain TCP connection (HTTP_GET, SMTP_CHECK)
/// or TLS over one (SSL_GET). Each call waits on the reactor until `deadline`.
protocol ByteStream: AnyObject {
    /// Sends all of `bytes`, or says why not.
    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async -> CheckResult.Reason?
    /// Reads what is available, up to `max` bytes; an empty array at the end of the stream.
    func read(max: Int, deadline: ContinuousClock.Instant) async -> Result<[UInt8], CheckResult.Reason>
}

extension TCPConnection: ByteStream {}
