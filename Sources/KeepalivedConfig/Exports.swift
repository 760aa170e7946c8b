// Configuration diagnostics are the shared `Diagnostic` / `SourceLocation`: whoever imports
// KeepalivedConfig gets them, as when they were declared here.
@_exported import Diagnostics
