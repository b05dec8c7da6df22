//go:build !js

package browser

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Tab is the first tab of a headless Chromium that Start started, with the
// tab's console messages recorded as they come.
type Tab struct {
	Ctx  context.Context // the tab's chromedp context
	Path string          // the Chromium that runs it

	mu          sync.Mutex
	console     []string
	cancel      context.CancelFunc // closes the tab, and with it the browser
	cancelAlloc context.CancelFunc // ends the browser process and waits for it
}

// Start starts Chromium at path with Options(path, profileDir, webgpu,
// extra...) and opens a tab. It starts recording the tab's console before
// the first action (chromedp.Console starts the browser: it must run
// before, not beside, that action); onConsole, when not nil, gets each
// message as it comes, on the recording goroutine. A browser that does not
// start shows as an error of the first action. Close ends the browser.
func Start(path, profileDir string, webgpu bool, onConsole func(chromedp.ConsoleMessage), extra ...chromedp.ExecAllocatorOption) *Tab {
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), Options(path, profileDir, webgpu, extra...)...)
	ctx, cancel := chromedp.NewContext(actx)
	tab := &Tab{Ctx: ctx, Path: path, cancel: cancel, cancelAlloc: cancelAlloc}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.console = append(tab.console, m.String())
			tab.mu.Unlock()
			if onConsole != nil {
				onConsole(m)
			}
		}
	}()
	return tab
}

// New is Start for a test: Chromium from PATH (failing t without one), a
// profile in t.TempDir(), the browser closed when the test ends and its
// console logged if the test failed.
func New(t testing.TB, webgpu bool, extra ...chromedp.ExecAllocatorOption) *Tab {
	t.Helper()
	tab := Start(Chromium(t), filepath.Join(t.TempDir(), "profile"), webgpu, nil, extra...)
	t.Cleanup(tab.Close)
	t.Cleanup(func() { // runs before Close
		if !t.Failed() {
			return
		}
		for _, line := range tab.Console() {
			t.Logf("console %s", line)
		}
	})
	return tab
}

// Close closes the tab and ends the browser, waiting for its process to
// exit; it may be called more than once, from any goroutine.
func (tab *Tab) Close() {
	tab.cancel()
	tab.cancelAlloc()
}

// Console returns the console messages recorded so far, oldest first.
func (tab *Tab) Console() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.console...)
}

// ConsoleTail returns the last n console messages, one a line.
func (tab *Tab) ConsoleTail(n int) string {
	lines := tab.Console()
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// BuildWasm builds the Go package pkg for GOOS=js GOARCH=wasm into out;
// flags go to go build before -o.
func BuildWasm(pkg, out string, flags ...string) error {
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, pkg)...)
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if output, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for js/wasm: %v\n%s", pkg, err, output)
	}
	return nil
}

// WasmExec returns the path of the Go toolchain's wasm_exec.js (lib/wasm
// since Go 1.24, misc/wasm before).
func WasmExec() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %w", err)
	}
	root := strings.TrimSpace(string(out))
	for _, p := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} {
		f := filepath.Join(root, p)
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			return f, nil
		}
	}
	return "", fmt.Errorf("no wasm_exec.js under %s", root)
}

// FileServer serves files (URL path → file on disk), each at its path
// only, and answers /favicon.ico with 204 No Content so that the page's
// console shows no failed request for it.
func FileServer(files map[string]string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	for path, file := range files {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				http.NotFound(w, r)
				return
			}
			http.ServeFile(w, r, file)
		})
	}
	return mux
}
