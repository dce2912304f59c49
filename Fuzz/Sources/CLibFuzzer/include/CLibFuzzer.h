#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs with their own main (LLVM 11 and later).
///
/// SwiftPM gives every executable target a main of its own, so each fuzz
/// target's main.swift hands its input callback to libFuzzer here.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
