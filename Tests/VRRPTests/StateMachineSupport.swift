import TimeBase
import NetworkModel
@testable import VRRP

/// A manual clock: instants as offsets from one fixed start.
enum Clock {
    static let t0 = Moment.now
    static func at(ms: Int) -> Moment { t0 + .milliseconds(ms) }
    static func at(_ d: Duration) -> Moment { t0 + d }
}

let addressA = IPAddress("198.51.100.11")!
let addressB = IPAddress("198.51.100.12")!
let addressC = IPAddress("198.51.100.13")!

func machine(priority: UInt8 = 100, state: VRRPInstanceConfiguration.InitialState = .backup,
             version: VRRPVersion = .v2, interval: Duration = .seconds(1), address: IPAddress = addressA,
             nopreempt: Bool = false, preemptDelay: Duration = .zero,
             lowerPriorityNoAdvert: Bool = false, higherPrioritySendAdvert: Bool = false) -> VRRPStateMachine {
    VRRPStateMachine(configuration: VRRPInstanceConfiguration(
        version: version, initialState: state, priority: priority, nopreempt: nopreempt, preemptDelay: preemptDelay,
        advertInterval: interval, lowerPriorityNoAdvert: lowerPriorityNoAdvert,
        higherPrioritySendAdvert: higherPrioritySendAdvert, localAddress: address))
}

func advert(_ priority: UInt8, from source: IPAddress = addressB, interval: Duration = .seconds(1)) -> VRRPEvent {
    .advertReceived(ReceivedAdvert(priority: priority, source: source, advertInterval: interval))
}

/// Several machines on one zero-latency LAN, driven by their own timer deadlines: each sent
/// advert reaches every other running node at once (unless the LAN is partitioned).
struct Cluster {
    var nodes: [VRRPStateMachine]
    var now = Clock.t0
    var partitioned = false
    /// Every action taken: (node, time, action).
    var log: [(node: Int, at: Moment, action: VRRPAction)] = []

    init(_ nodes: [VRRPStateMachine]) { self.nodes = nodes }

    func address(_ i: Int) -> IPAddress { nodes[i].configuration.localAddress }
    var states: [VRRPState] { nodes.map(\.state) }

    mutating func send(_ i: Int, _ event: VRRPEvent) {
        var queue = [(i, event)]
        while !queue.isEmpty {
            let (node, ev) = queue.removeFirst()
            for action in nodes[node].handle(ev, now: now) {
                log.append((node, now, action))
                guard case let .sendAdvert(priority) = action, !partitioned else { continue }
                let interval = nodes[node].configuration.wireAdvertInterval
                for j in nodes.indices where j != node && (nodes[j].state == .backup || nodes[j].state == .master) {
                    queue.append((j, .advertReceived(ReceivedAdvert(priority: priority, source: address(node),
                                                                    advertInterval: interval))))
                }
            }
        }
    }

    /// Fires due timers in deadline order up to `end`.
    mutating func run(until end: Moment) {
        while true {
            var next: (node: Int, timer: VRRPTimer, at: Moment)?
            for (i, n) in nodes.enumerated() {
                for (timer, deadline) in n.deadlines where deadline <= end && (next == nil || deadline < next!.at) {
                    next = (i, timer, deadline)
                }
            }
            guard let due = next else { break }
            now = due.at
            switch due.timer {
            case .advert: send(due.node, .advertTimerFired)
            case .masterDown: send(due.node, .masterDownTimerFired)
            case .preemptDelay: send(due.node, .preemptDelayExpired)
            }
        }
        now = end
    }

    /// When node `i` last entered MASTER.
    func becameMaster(_ i: Int) -> Moment? {
        log.last { $0.node == i && $0.action.enteredMaster }?.at
    }
}

extension VRRPAction {
    var enteredMaster: Bool {
        if case .stateChanged(_, .master, _) = self { return true }
        return false
    }
}
