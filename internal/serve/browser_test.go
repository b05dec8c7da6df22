//go:build !js

package serve

import (
	"context"
	"github.com/noise2norm/noise2norm/internal/testutil"
	browserutil "github.com/noise2norm/noise2norm/internal/testutil/browser"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// answerWasm is a wasm module exporting answer() = 42:
// (module (func (export "answer") (result i32) i32.const 42)).
var answerWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type section: () -> i32
	0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
	0x07, 0x0a, 0x01, 0x06, 'a', 'n', 's', 'w', 'e', 'r', 0x00, 0x00, // export "answer" = func 0
	0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b, // code: i32.const 42; end
}

// appModule is the page's module script: it instantiates the wasm with
// instantiateStreaming (which insists on application/wasm), reads a JSON
// file and publishes what it got.
const appModule = `
try {
  const { instance } = await WebAssembly.instantiateStreaming(fetch("m.wasm"), {});
  const data = await (await fetch("data.json")).json();
  globalThis.result = JSON.stringify({ answer: instance.exports.answer(), data });
} catch (e) {
  globalThis.result = JSON.stringify({ error: String(e) });
}
`

// TestInChromium serves a page from a sub-path to headless Chromium, as the
// demo is served: a module script (.mjs, which a browser runs only with a
// JavaScript MIME type), a wasm module instantiated by streaming (only with
// application/wasm) from its precompressed .br copy (made by the brotli
// CLI, as make dist does), and JSON compressed on the fly. The browser must
// decode all three and the log must show the encodings used.
func TestInChromium(t *testing.T) {
	chromium := browserutil.Chromium(t)
	root := t.TempDir()
	site := filepath.Join(root, "site")
	sub := filepath.Join(site, "demo")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"index.html": `<!doctype html><title>serve test</title><script type="module" src="app.mjs"></script>`,
		"app.mjs":    appModule,
		"m.wasm":     string(answerWasm),
		"data.json":  `{"model": "textile-wf16-s128", "padding": "compress me compress me compress me"}`,
	} {
		if err := os.WriteFile(filepath.Join(sub, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("brotli", "-k", "-q", "11", filepath.Join(sub, "m.wasm")).CombinedOutput(); err != nil {
		t.Fatalf("brotli (Debian package brotli; .ci/deps installs it): %v\n%s", err, out)
	}

	var log testutil.SyncBuffer
	h, err := Handler(site, &log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // 127.0.0.1 only
	defer srv.Close()

	tab := browserutil.Start(chromium, filepath.Join(root, "profile"), false, nil)
	defer tab.Close()
	ctx, cancelTimeout := context.WithTimeout(tab.Ctx, 2*time.Minute)
	defer cancelTimeout()

	// Without the trailing slash: the server's relative redirect must
	// bring the page's relative URLs under /demo/.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/demo")); err != nil {
		t.Fatalf("chromium (%s) did not open the page: %v (run .ci/chromium)", chromium, err)
	}
	result, err := chromedp.Run(ctx, chromedp.Poll[string]("globalThis.result",
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
	if err != nil {
		t.Fatalf("the page published no result: %v\nserver log:\n%s", err, log.String())
	}
	if want := `{"answer":42,"data":{"model":"textile-wf16-s128","padding":"compress me compress me compress me"}}`; result != want {
		t.Errorf("page result %s, want %s\nserver log:\n%s", result, want, log.String())
	}
	// Chromium accepts br on http://127.0.0.1 (a trustworthy origin); the
	// server gzips what has no precompressed copy.
	for _, re := range []string{
		` GET /demo 301 0 \S+$`,
		` GET /demo/ 200 \d+ \S+ gzip$`,
		` GET /demo/app\.mjs 200 \d+ \S+ gzip$`,
		` GET /demo/m\.wasm 200 \d+ \S+ br$`,
		` GET /demo/data\.json 200 \d+ \S+ gzip$`,
	} {
		if !regexp.MustCompile(`(?m)` + re).MatchString(log.String()) {
			t.Errorf("server log has no line matching %q:\n%s", re, log.String())
		}
	}
}
