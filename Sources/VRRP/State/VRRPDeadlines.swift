import TimeBase

/// The armed timers of one instance and their deadlines: at most one per ``VRRPTimer``.
///
/// Three fields, not a dictionary: a backup re-arms its down timer for every advert it accepts,
/// and a dictionary keyed by the timer hashed the key each time (the hasher's code, out of
/// line in the Swift runtime, stayed mapped in the idle daemon for it).
public struct VRRPDeadlines: Sendable, Hashable, Sequence {
    private var advert: Moment?
    private var masterDown: Moment?
    private var preemptDelay: Moment?

    public init() {}

    /// The deadline of `timer`, nil when it is not armed.
    public subscript(timer: VRRPTimer) -> Moment? {
        get {
            switch timer {
            case .advert: advert
            case .masterDown: masterDown
            case .preemptDelay: preemptDelay
            }
        }
        set {
            switch timer {
            case .advert: advert = newValue
            case .masterDown: masterDown = newValue
            case .preemptDelay: preemptDelay = newValue
            }
        }
    }

    /// Whether no timer is armed.
    public var isEmpty: Bool { advert == nil && masterDown == nil && preemptDelay == nil }

    /// The earliest deadline of the armed timers.
    public var earliest: Moment? {
        var e = advert
        if let d = masterDown, e.map({ d < $0 }) ?? true { e = d }
        if let d = preemptDelay, e.map({ d < $0 }) ?? true { e = d }
        return e
    }

    /// The armed timers with their deadlines, in ``VRRPTimer/allCases`` order.
    public func makeIterator() -> Iterator {
        Iterator(deadlines: self)
    }

    public struct Iterator: IteratorProtocol {
        let deadlines: VRRPDeadlines
        var position = 0

        public mutating func next() -> (timer: VRRPTimer, deadline: Moment)? {
            while position < 3 {
                let timer: VRRPTimer = position == 0 ? .advert : position == 1 ? .masterDown : .preemptDelay
                position += 1
                if let d = deadlines[timer] { return (timer, d) }
            }
            return nil
        }
    }
}
