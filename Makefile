# noise2norm: see README.md.
export XDG_RUNTIME_DIR ?= /tmp
GO ?= go

.PHONY: deps demo detect-demo test bench build wasm dist

## deps: install system packages (as root) or say which are missing
deps:
	@.ci/deps

## detect-demo: the detector with the shipped weights on synthetic test images → out/demo/
WEIGHTS ?= weights/textile-wf16-s128.safetensors
detect-demo: deps
	rm -rf out/demo out/demo-data
	$(GO) build -o out/detect ./cmd/detect
	$(GO) run ./cmd/synth -out out/demo-data -category textile -size 128 -train 0 -test-good 2 -test-defect 2
	for d in good hole scratch stain; do out/detect -weights $(WEIGHTS) -out out/demo/$$d out/demo-data/textile/test/$$d || exit 1; done
	@echo "demo: heatmaps, reconstructions, maps and scores.csv in out/demo/{good,hole,scratch,stain}/"

## test: vet, build for the browser, run every test (GPU tests on the adapter found)
test: deps
	@.ci/chromium
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) build ./...
	GOOS=js GOARCH=wasm $(GO) vet ./...
	$(GO) test -count=1 ./...

## bench: per-kernel benchmarks, then convs, forward and training on each backend beside PyTorch
## (the forward also beside onnxruntime-node and, in Chromium, onnxruntime-web: needs Debian's nodejs, npm and
## chromium, installs into out/peers/); -versus prints issue 11's table
bench:
	@.ci/deps --bench
	@.ci/chromium  # the browser rows (cmd/bench -versus, -browser)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/...
	$(GO) run ./cmd/bench -conv
	$(GO) run ./cmd/bench -peers
	$(GO) run ./cmd/bench -train
# issue 11's table in one run; then the browser backends' memory (ours only), wf 16 and 32
	$(GO) run ./cmd/bench -versus -wf 16 -iters 3
	$(GO) run ./cmd/bench -browser cpu,webgpu -browser-peers=false -browser-train 1 -wf 16,32 -iters 1

## ---- browser demo (see docs/serving.md) ----
SITE ?= site
DIST ?= out/dist
ADDR ?= localhost:8080
WASM_PKG ?= ./wasm/demo
# The models the page lists (site/models.json "file" entries), each a float16 copy of weights/<id>.safetensors.
MODELS := $(addprefix $(SITE)/,$(shell sed -n 's/.*"file": *"\(models\/[^"]*\)".*/\1/p' $(SITE)/models.json))
WASM_EXEC := $(firstword $(wildcard $(shell $(GO) env GOROOT)/lib/wasm/wasm_exec.js $(shell $(GO) env GOROOT)/misc/wasm/wasm_exec.js))
# Extensions that get .br/.gz copies in $(DIST) (the server compresses the same ones).
COMPRESSIBLE := html htm js mjs css json map webmanifest wasm safetensors npy svg txt md csv ico

## wasm: the demo's wasm (stripped), Go's wasm_exec.js and float16 models into site/ (git-ignored)
wasm: $(MODELS)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $(SITE)/n2n.wasm $(WASM_PKG)
	@test -n "$(WASM_EXEC)" || { echo "wasm: no wasm_exec.js under $$($(GO) env GOROOT)/lib/wasm or misc/wasm" >&2; exit 1; }
	cp $(WASM_EXEC) $(SITE)/wasm_exec.js
	@# The service worker's version (site/sw.js): a hash of the site's files; a new one makes visitors' pages offer a reload.
	cd $(SITE) && find . -type f ! -name sw-version.js ! -name '.*' ! -name '*.br' ! -name '*.gz' | LC_ALL=C sort | xargs sha256sum \
		| sha256sum | cut -c1-16 | sed 's/.*/self.N2N_VERSION = "&";/' > sw-version.js

$(SITE)/models/%.safetensors: weights/%.safetensors
	@mkdir -p $(@D)
	$(GO) run ./cmd/export -f16 $< $@

## demo: build the browser demo and the native tools, then serve site/ on http://localhost:8080/
demo: deps wasm
	$(GO) build -o out/detect ./cmd/detect
	$(GO) build -o out/serve ./cmd/serve
	@echo "demo: open http://$(ADDR)/ (Ctrl-C stops the server)"
	out/serve -addr $(ADDR) -dir $(SITE)

## dist: a self-contained static bundle in out/dist/ with .br and .gz beside every compressible file
dist: deps wasm
	rm -rf $(DIST)
	mkdir -p $(DIST)
	cp -R $(SITE)/. $(DIST)/
	find $(DIST) -mindepth 1 \( -name '.*' -o -name '*.br' -o -name '*.gz' \) -prune -exec rm -rf {} +
	touch $(DIST)/.nojekyll
	find $(DIST) -type f \( $(foreach e,$(COMPRESSIBLE),-name '*.$(e)' -o) -false \) -print0 \
		| xargs -0 -r -n 16 sh -c 'gzip -9 -k -n -f "$$@" && brotli -q 11 -k -f "$$@"' sh
	@echo "dist: $(DIST) ($$(du -sh $(DIST) | cut -f1)); first load, brotli: wasm $$(stat -c %s $(DIST)/n2n.wasm.br) bytes, models:"; \
		for m in $(DIST)/models/*.safetensors.br; do echo "  $$m $$(stat -c %s $$m) bytes"; done

## ---- WebAssembly SIMD kernel of the CPU backend (see internal/cpu/gemm_wasm.go) ----
## simd-kernel: reassemble internal/cpu/gemm_simd.wasm (committed, embedded by the wasm build) from gemm_simd.wat with wabt
.PHONY: simd-kernel
simd-kernel: internal/cpu/gemm_simd.wasm
internal/cpu/gemm_simd.wasm: internal/cpu/gemm_simd.wat
	wat2wasm $< -o $@

## ---- real GPUs (see docs/benchmarks.md, "Real GPUs") ----
.PHONY: gpu-check gpu-check-build
## gpu-check-build: the binaries .ci/device-check runs, into out/device-bin (for a machine without Go)
gpu-check-build:
	.ci/device-check build
## gpu-check: the GPU test suite and cmd/bench on a real GPU (wf 32, S 256), results in OUT (default out/device-check)
gpu-check:
	.ci/device-check
