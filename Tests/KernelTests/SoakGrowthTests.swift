import Testing

/// What a soak of a given length judges (`Kernel.SoakKernelTests.judgesRSS`, `growthNote`): pure
/// functions, so they run on the host. CI's 2-minute run must say that it does not judge RSS, and
/// a run with the full warm-up must judge it.
@Suite("soak: what a run's length can judge")
struct SoakGrowthTests {
    typealias Soak = Kernel.SoakKernelTests

    static func series(warmUp: Double) -> SampleSeries {
        var s = SampleSeries(warmUp: warmUp)
        for (i, rss) in [19_800, 14_300, 14_500, 15_200, 16_300].enumerated() {
            s.samples.append(ProcessSample(at: warmUp * Double(i) / 2, rssKiB: rss, fds: 21, zombies: [], children: 1, cpu: 0))
        }
        return s
    }

    @Test func ciShortRunSaysRSSIsNotJudged() {
        #expect(!Soak.judgesRSS(120))
        let note = Soak.growthNote(120, Self.series(warmUp: Soak.warmUp(120)))
        #expect(note.hasPrefix("a short run: descriptors judged over 80 s after a 40 s warm-up; RSS NOT judged ("), "\(note)")
    }

    @Test func runsWithTheFullWarmUpJudgeRSS() {
        #expect(Soak.warmUp(360) == 120)
        #expect(Soak.judgesRSS(360))
        #expect(Soak.judgesRSS(1200))
        #expect(Soak.growthNote(1200, Self.series(warmUp: 120)) == "RSS and descriptors judged over 1080 s after a 120 s warm-up")
    }
}
