import HostNetwork

/// The adverts a pass of the engine has made and not sent yet (`VRRPEngine.gatheringAdverts`):
/// the datagrams for one send socket, with the router each one is for (its send errors are
/// reported on it). Kept by the engine between passes, so its storage is reused.
struct OutgoingAdverts {
    /// The send socket of every datagram gathered (one at a time: an advert for another socket
    /// sends what is gathered first, so the order on the wire is the order the adverts were made).
    var sender: AdvertSender?
    var batch = VRRPSendBatch()
    /// The router of each datagram of `batch`, in order.
    var routers: [VirtualRouter] = []
    /// A pass is gathering: adverts wait for its end (or for an effect that must follow them).
    var gathering = false

    /// Empties it for the next pass, keeping the storage.
    mutating func clear() {
        sender = nil
        batch.removeAll()
        routers.removeAll(keepingCapacity: true)
    }
}
