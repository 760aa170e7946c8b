// libFuzzer's driver, for a fuzz target that has its own `main` (Sources/swiftvs-fuzz/Entry.swift).
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line `argc`/`argv` on `callback` (libFuzzer's
/// FuzzerInterface.h; in every libclang_rt.fuzzer since LLVM 11).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
