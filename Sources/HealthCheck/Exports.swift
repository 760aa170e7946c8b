// The daemon's users (swiftvs, the tests) see the event loop and the configuration language
// through HealthCheck, as they did when both lived in it.
@_exported import EventLoop
@_exported import KeepalivedConfig
