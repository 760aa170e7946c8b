/// The priority an instance advertises and elects with: the configured one plus the weights of
/// its tracked scripts and interfaces (`track_script`, `track_interface`), as keepalived
/// computes it (`vrrp_set_effective_priority`).
public enum EffectivePriority {
    /// The owner's priority, which weights never change.
    public static let owner: UInt8 = 255

    /// `base` plus the sum of `weights`, clamped to 1…254; 255 (owner) stays 255.
    /// - Parameter weights: the contributions in force now: a positive weight of a tracker
    ///   that is up, a negative one of a tracker that is down (the caller decides which apply).
    public static func compute(base: UInt8, weights: some Sequence<Int>) -> UInt8 {
        guard base != owner else { return owner }
        let total = weights.reduce(Int(base)) { $0 + $1 }
        return UInt8(min(254, max(1, total)))
    }
}
