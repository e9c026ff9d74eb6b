// Package bigstack grows the main goroutine's stack to 128 KB once, at the very
// start of initialisation, while the stack is nearly empty.
//
// Why (issue 13, BENCHMARKS.md "Start-up against an empty Go program"): MSAL's
// oauth/ops/authority package compiles `^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$` in a
// package-level var. regexp/syntax expands {0,61} into 61 nested groups and
// compiles them recursively, some 250 frames deep, which grows the main
// goroutine's stack from 8 KB to 128 KB in five doublings. Each doubling copies the
// stack and walks every frame on it through the function tables, so the deep ones
// are expensive: about a tenth of the CPU time of `d365consent permissions`, in
// every command, since every command links MSAL. Growing the stack once while it
// holds a handful of frames costs one cheap copy; the recursion then fits.
//
// This package imports nothing, so Go initialises it before every package whose
// import path sorts after its own (the spec's initialisation order), among them
// net/http, which MSAL needs first. A test in e2e checks the order in the built
// binary. The stack is not shrunk before MSAL's init runs: that only happens during
// a garbage collection, and initialisation allocates far less than the first one
// needs.
package bigstack

// frame is larger than 64 KB so that the runtime doubles the stack straight to
// 128 KB, what the regexp compilation above reaches.
const frame = 64<<10 + 1024

//go:noinline
func grow(i int) byte {
	var b [frame]byte
	b[i] = 1
	return b[i/2]
}

// Grown is set at init; reading it keeps grow from being optimised away.
var Grown = grow(frame-1) == 0
