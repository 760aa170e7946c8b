import Testing

/// Every suite of this target nests in this one, so the whole target runs one test at a time:
/// the timing figures are measured without another test's daemons competing for the two cores.
@Suite(.serialized) enum VRRPNamespace {}
