/// Settings that cascade virtual server → real server → checker.
struct InheritedSettings {
    var delayLoop: Duration?
    var retry: Int?
    var delayBeforeRetry: Duration?
    var warmup: Duration?
    var connectTimeout: Duration?
    var alpha: Bool?
    var inhibit: Bool?
    var virtualhost: String?

    func over(_ base: InheritedSettings) -> InheritedSettings {
        InheritedSettings(delayLoop: delayLoop ?? base.delayLoop, retry: retry ?? base.retry,
                delayBeforeRetry: delayBeforeRetry ?? base.delayBeforeRetry, warmup: warmup ?? base.warmup,
                connectTimeout: connectTimeout ?? base.connectTimeout, alpha: alpha ?? base.alpha,
                inhibit: inhibit ?? base.inhibit, virtualhost: virtualhost ?? base.virtualhost)
    }
}
