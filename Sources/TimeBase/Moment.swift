#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A point on `ContinuousClock`'s timeline, in whole nanoseconds: CLOCK_BOOTTIME, the clock
/// the Swift runtime reads for `ContinuousClock.now` on Linux (it counts a suspend too), so a
/// moment and an instant of the same time are the same value.
///
/// For the code that runs at every wake-up of an idle daemon: the reactor's timer heap and
/// loop, the VRRP state machines' deadlines and the timer sweep. `ContinuousClock.Instant`
/// holds a 128-bit `Duration`, and reading the clock, adding, subtracting and comparing
/// through it run out-of-line code of the Swift runtime (`_Int128`'s full-width multiply and
/// subtraction, `ContinuousClock.now`, the instant's value witnesses), each in a 64 KB window
/// of the executable of its own that the kernel then keeps mapped for the daemon's life. A
/// moment is an `Int64`: its arithmetic is inline integer code. Elsewhere (configuration,
/// status, tests) `init(_:)`, `instant` and the `Duration` operators convert.
public struct Moment: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's epoch (the system's boot).
    public var nanoseconds: Int64

    @inlinable
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The clock now (one clock_gettime, no runtime call).
    @inlinable
    public static var now: Moment {
        var t = timespec()
        // CLOCK_BOOTTIME cannot fail on Linux (2.6.39 or later); a zero timespec is the answer
        // of a kernel that has not got it.
        _ = clock_gettime(CLOCK_BOOTTIME, &t)
        return Moment(nanoseconds: Int64(t.tv_sec) &* 1_000_000_000 &+ Int64(t.tv_nsec))
    }

    /// The same time as `instant`, truncated to the nanosecond.
    public init(_ instant: ContinuousClock.Instant) {
        nanoseconds = (instant - ContinuousClock().systemEpoch).inNanoseconds
    }

    /// The same time as a `ContinuousClock.Instant`.
    public var instant: ContinuousClock.Instant {
        ContinuousClock().systemEpoch + .nanoseconds(nanoseconds)
    }

    /// The moment `n` nanoseconds later (earlier when negative).
    @inlinable
    public func advanced(byNanoseconds n: Int64) -> Moment {
        Moment(nanoseconds: nanoseconds &+ n)
    }

    /// Nanoseconds from this moment to `other` (negative when `other` is earlier).
    @inlinable
    public func nanoseconds(to other: Moment) -> Int64 {
        other.nanoseconds &- nanoseconds
    }

    @inlinable
    public static func < (a: Moment, b: Moment) -> Bool {
        a.nanoseconds < b.nanoseconds
    }

    /// `moment + duration` (the duration converted: not for a path that runs at every wake-up,
    /// which adds nanoseconds with `advanced(byNanoseconds:)`).
    public static func + (m: Moment, d: Duration) -> Moment {
        m.advanced(byNanoseconds: d.inNanoseconds)
    }

    /// `moment - duration`, converted as `+` is.
    public static func - (m: Moment, d: Duration) -> Moment {
        m.advanced(byNanoseconds: -d.inNanoseconds)
    }

    /// The duration from `b` to `a`.
    public static func - (a: Moment, b: Moment) -> Duration {
        .nanoseconds(b.nanoseconds(to: a))
    }

    public var description: String {
        "\(nanoseconds / 1_000_000_000).\(String(nanoseconds % 1_000_000_000 + 1_000_000_000).dropFirst()) s"
    }
}

extension Duration {
    /// The duration in whole nanoseconds, truncated towards zero; `Int64.max` / `.min` when it
    /// does not fit (292 years).
    public var inNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, carry) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return carry ? (seconds < 0 ? .min : .max) : sum
    }
}
