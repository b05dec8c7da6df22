# noise2norm: see README.md.
export XDG_RUNTIME_DIR ?= /tmp
GO ?= go

.PHONY: deps demo test bench build wasm

## deps: install system packages (as root) or say which are missing
deps:
	@.ci/deps

## demo: the detector with the shipped weights on synthetic test images → out/demo/
WEIGHTS ?= weights/textile-wf16-s128.safetensors
demo: deps
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
bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/...
	$(GO) run ./cmd/bench -conv
	$(GO) run ./cmd/bench
	$(GO) run ./cmd/bench -train
