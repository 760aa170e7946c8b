import HealthCheck

/// The reactor these tests hand to what they build, as the daemon hands its own: one for the
/// test process (a reactor's thread lives as long as the process).
let testReactor = Reactor()
