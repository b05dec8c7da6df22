# noise2norm: see README.md.
export XDG_RUNTIME_DIR ?= /tmp
GO ?= go

.PHONY: deps demo test bench build wasm

## deps: install system packages (as root) or say which are missing
deps:
	@.ci/deps

## demo: the detector on the sample image with the shipped weights
demo: deps
	$(GO) run ./cmd/detect -weights $(WEIGHTS) -out out/demo testdata/ref/detect/input.png
	@echo "demo: wrote out/demo/ (heatmap, reconstruction, map, scores.csv)"

WEIGHTS ?= testdata/ref/wf4_s32_d4_att/weights.safetensors

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
