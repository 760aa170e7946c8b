@testable import EventLoop
import Foundation
import Testing

/// A reactor whose epoll_wait fails with anything but EINTR stops the process with the errno
/// (it used to retry at once, forever: a busy spin with every wait frozen).
@Suite("Reactor: epoll_wait failure")
struct ReactorFailureTests {
    @Test("a closed epoll descriptor ends the process, naming epoll_wait and the errno")
    func badDescriptorStopsTheProcess() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let reactor = Reactor()
            // Its own epoll descriptor closed under it (not libdispatch's, which this process
            // has too), then a reason to wait again.
            close(reactor.epfd)
            reactor.schedule(at: ContinuousClock.now) {}
            // The process should end within this; polled, as the event awaited is our own death.
            let deadline = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < deadline { usleep(10_000) }
            // Only reached when the loop did not stop (the old busy retry): the exit test fails.
            exit(0)
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        // EBADF, or EINVAL when another thread of the process has meanwhile opened a descriptor
        // that took the closed number (it is then not an epoll descriptor): either way the loop
        // stops with the errno, which is what this asserts.
        #expect(stderr.contains("epoll_wait: Bad file descriptor (errno 9)") || stderr.contains("epoll_wait: Invalid argument (errno 22)"),
                "stderr: \(stderr)")
    }
}
