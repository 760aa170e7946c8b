import Prometheus

/// The registry's makers by plain name, labels and help text (every series of swiftvs has one:
/// `promtool check metrics` wants it).
extension PrometheusCollectorRegistry {
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The counter `name{labels}`, made on first use.
    public func counter(_ name: String, _ labels: [(String, String)] = [], help: String) -> Counter {
        makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    /// The gauge `name{labels}`, made on first use.
    public func gauge(_ name: String, _ labels: [(String, String)] = [], help: String) -> Gauge {
        makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    /// The histogram of durations `name{labels}` (in seconds), made on first use.
    public func durationHistogram(_ name: String, _ labels: [(String, String)] = [], buckets: [Duration], help: String) -> DurationHistogram {
        makeDurationHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
    }
}
