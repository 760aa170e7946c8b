import IPVS
import IPVSRules

/// What the daemon changes in the kernel: only the services it manages.
public enum Reconciler {
    /// The changes that give every managed service its desired configuration and real
    /// servers. Services the kernel has that are not `managed` are never touched; managed
    /// services missing from `desired` (removed from the configuration) are deleted. A service
    /// that is already as desired is left alone, so its counters and connections stay.
    public static func changes(current: [ServiceEntry], desired: [ServiceEntry], managed: Set<ServiceKey>) -> [Change] {
        let mine = current.filter { managed.contains($0.service.key) }
        let wanted = desired.filter { managed.contains($0.service.key) }
        return Plan.diff(current: mine, desired: wanted)
    }
}
