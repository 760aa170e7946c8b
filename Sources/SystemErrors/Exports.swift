// swift-system's `Errno` (an errno with strerror's text as its description) and `FileDescriptor`
// (read, write and writeAll that retry EINTR and short writes) are the project's errno vocabulary:
// every module that reports or retries an errno imports this one and sees them.
@_exported import SystemPackage
