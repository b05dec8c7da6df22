// Runs a Go GOOS=js GOARCH=wasm binary under node like Go's own
// wasm_exec_node.js, and also publishes the instantiated module as
// globalThis.wasm before the program starts, as the demo's worker does
// (site/worker.js): the CPU backend's SIMD kernel finds the program's memory
// there. GOROOT must name the Go installation (for its wasm_exec.js).
// Usage: GOROOT=$(go env GOROOT) node wasm_exec_simd.js prog.wasm [args...]
//
// N2N_WITHOUT (for the fallback tests) takes something away: "simd" makes
// WebAssembly.validate reject every module after the Go program has been
// instantiated, as an engine without SIMD rejects the kernel; "memory" leaves
// globalThis.wasm unset.
"use strict";

if (process.argv.length < 3 || !process.env.GOROOT) {
	console.error("usage: GOROOT=$(go env GOROOT) node wasm_exec_simd.js prog.wasm [args...]");
	process.exit(1);
}

globalThis.require = require;
globalThis.fs = require("fs");
globalThis.path = require("path");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("perf_hooks").performance;
globalThis.crypto ??= require("crypto");

require(path.join(process.env.GOROOT, "lib", "wasm", "wasm_exec.js"));

const go = new Go();
go.argv = process.argv.slice(2);
go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env);
go.exit = process.exit;
WebAssembly.instantiate(fs.readFileSync(process.argv[2]), go.importObject).then((result) => {
	const without = process.env.N2N_WITHOUT || "";
	if (without !== "memory") globalThis.wasm = result;
	if (without === "simd") WebAssembly.validate = () => false;
	process.on("exit", (code) => { // node exits when no event is pending: a deadlock
		if (code === 0 && !go.exited) {
			go._pendingEvent = { id: 0 };
			go._resume();
		}
	});
	return go.run(result.instance);
}).catch((err) => {
	console.error(err);
	process.exit(1);
});
