// A rules file's problems are the shared `Diagnostic` at a `SourceLocation`: whoever imports
// IPVSRules gets them.
@_exported import Diagnostics
