package serve

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// secret is the content of a file outside the served tree; no response may
// contain it.
const secret = "SECRET-OUTSIDE-THE-TREE"

// tree builds a served directory beside a secret file and returns the
// served directory:
//
//	outside/secret.txt, outside/dir/secret.txt
//	site/index.html, site/app.js, site/mod.mjs, site/style.css, site/models.json,
//	site/n2n.wasm (+ .br, .gz), site/model.safetensors, site/ex.png,
//	site/manifest.webmanifest, site/noext, site/.env, site/.git/config,
//	site/sub/index.html, site/empty/, site/sub/..secret,
//	site/out-file -> ../outside/secret.txt, site/out-dir -> ../outside/dir,
//	site/in-link.js -> app.js
func tree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(base, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("outside/secret.txt", secret)
	write("outside/dir/secret.txt", secret)
	write("site/index.html", "<!doctype html><title>root</title>"+strings.Repeat(" padding", 100))
	write("site/app.js", "console.log('app');"+strings.Repeat("\n// padding", 100))
	write("site/mod.mjs", "export const x = 1;")
	write("site/style.css", "body { margin: 0 }")
	write("site/models.json", `[{"id":"m"}]`)
	write("site/n2n.wasm", "\x00asm-identity-bytes")
	write("site/n2n.wasm.br", "brotli-bytes")
	write("site/n2n.wasm.gz", "gzip-bytes")
	write("site/model.safetensors", strings.Repeat("\x01\x02", 500))
	write("site/ex.png", "\x89PNG-not-really")
	write("site/manifest.webmanifest", `{"name":"n2n"}`)
	write("site/noext", "no extension")
	write("site/.env", secret)
	write("site/.git/config", secret)
	write("site/sub/index.html", "<title>sub</title>")
	write("site/sub/..secret", secret)
	if err := os.MkdirAll(filepath.Join(base, "site/empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"site/out-file":   "../outside/secret.txt",
		"site/out-dir":    "../outside/dir",
		"site/abs-file":   filepath.Join(base, "outside/secret.txt"),
		"site/in-link.js": "app.js",
	} {
		if err := os.Symlink(target, filepath.Join(base, link)); err != nil {
			t.Fatal(err)
		}
	}
	// The precompressed copies must not be older than the file.
	later := time.Now().Add(time.Second)
	for _, p := range []string{"site/n2n.wasm.br", "site/n2n.wasm.gz"} {
		if err := os.Chtimes(filepath.Join(base, p), later, later); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(base, "site")
}

func newHandler(t *testing.T, dir string, log io.Writer) http.Handler {
	t.Helper()
	h, err := Handler(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// get runs a request for the raw target with the given headers (name,
// value pairs) through h.
func get(h http.Handler, method, target string, headers ...string) *http.Response {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestContentTypes(t *testing.T) {
	h := newHandler(t, tree(t), nil)
	for _, c := range []struct{ path, want string }{
		{"/index.html", "text/html; charset=utf-8"},
		{"/app.js", "text/javascript; charset=utf-8"},
		{"/mod.mjs", "text/javascript; charset=utf-8"},
		{"/style.css", "text/css; charset=utf-8"},
		{"/models.json", "application/json"},
		{"/n2n.wasm", "application/wasm"},
		{"/model.safetensors", "application/octet-stream"},
		{"/ex.png", "image/png"},
		{"/manifest.webmanifest", "application/manifest+json"},
		{"/noext", "application/octet-stream"},
		{"/in-link.js", "text/javascript; charset=utf-8"},
	} {
		resp := get(h, "GET", c.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d, want 200", c.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != c.want {
			t.Errorf("%s: Content-Type %q, want %q", c.path, got, c.want)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", c.path, got)
		}
	}
}

func TestPrecompressed(t *testing.T) {
	h := newHandler(t, tree(t), nil)
	for _, c := range []struct {
		accept, wantEncoding, wantBody string
	}{
		{"gzip, deflate, br, zstd", "br", "brotli-bytes"},
		{"br", "br", "brotli-bytes"},
		{"gzip", "gzip", "gzip-bytes"},
		{"br;q=0, gzip;q=0.5", "gzip", "gzip-bytes"},
		{"*", "br", "brotli-bytes"},
		{"*;q=0, gzip", "gzip", "gzip-bytes"},
		{"", "", "\x00asm-identity-bytes"},
		{"identity", "", "\x00asm-identity-bytes"},
		{"deflate", "", "\x00asm-identity-bytes"},
	} {
		resp := get(h, "GET", "/n2n.wasm", "Accept-Encoding", c.accept)
		if got := resp.Header.Get("Content-Encoding"); got != c.wantEncoding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", c.accept, got, c.wantEncoding)
		}
		if got := body(t, resp); got != c.wantBody {
			t.Errorf("Accept-Encoding %q: body %q, want %q", c.accept, got, c.wantBody)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/wasm" {
			t.Errorf("Accept-Encoding %q: Content-Type %q, want application/wasm", c.accept, got)
		}
		if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q, want Accept-Encoding", c.accept, got)
		}
		if got, want := resp.Header.Get("Content-Length"), fmt.Sprint(len(c.wantBody)); got != want {
			t.Errorf("Accept-Encoding %q: Content-Length %s, want %s", c.accept, got, want)
		}
	}
}

func TestStalePrecompressedIgnored(t *testing.T) {
	dir := tree(t)
	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "n2n.wasm.br"), past, past); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, dir, nil)
	resp := get(h, "GET", "/n2n.wasm", "Accept-Encoding", "br")
	if got := body(t, resp); got != "\x00asm-identity-bytes" || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("an .br older than its file: got encoding %q body %q, want the file itself",
			resp.Header.Get("Content-Encoding"), got)
	}
}

// TestPrecompressedSameSecond: brotli 1.0 gives its output the input's
// modification time truncated to whole seconds; that copy is not stale.
func TestPrecompressedSameSecond(t *testing.T) {
	dir := tree(t)
	orig := time.Date(2026, 11, 30, 1, 2, 3, 987654321, time.UTC)
	for name, mtime := range map[string]time.Time{"n2n.wasm": orig, "n2n.wasm.br": orig.Truncate(time.Second)} {
		if err := os.Chtimes(filepath.Join(dir, name), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	resp := get(newHandler(t, dir, nil), "GET", "/n2n.wasm", "Accept-Encoding", "br")
	if got := body(t, resp); got != "brotli-bytes" {
		t.Errorf("an .br from the same second as its file: body %q, want the .br", got)
	}
}

func TestGzipOnTheFly(t *testing.T) {
	dir := tree(t)
	h := newHandler(t, dir, nil)
	for _, name := range []string{"index.html", "app.js", "models.json", "model.safetensors", "style.css"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second answer comes from the cache
			resp := get(h, "GET", "/"+name, "Accept-Encoding", "gzip, br")
			if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
				t.Fatalf("%s: Content-Encoding %q, want gzip", name, got)
			}
			if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("%s: Vary %q, want Accept-Encoding", name, got)
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: gunzipped body differs from the file", name)
			}
		}
	}
	// Images are not compressed and do not vary.
	resp := get(h, "GET", "/ex.png", "Accept-Encoding", "gzip, br")
	if enc, vary := resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"); enc != "" || vary != "" {
		t.Errorf("ex.png: Content-Encoding %q, Vary %q, want neither", enc, vary)
	}
	if got := body(t, resp); got != "\x89PNG-not-really" {
		t.Errorf("ex.png: body %q", got)
	}
}

func TestCacheHeaders(t *testing.T) {
	h := newHandler(t, tree(t), nil)
	tags := map[string]string{}
	for _, c := range []struct{ path, accept string }{
		{"/index.html", ""}, {"/index.html", "gzip"}, {"/app.js", ""}, {"/models.json", ""},
		{"/n2n.wasm", ""}, {"/n2n.wasm", "br"}, {"/n2n.wasm", "gzip"}, {"/ex.png", ""},
	} {
		resp := get(h, "GET", c.path, "Accept-Encoding", c.accept)
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", c.path, got)
		}
		tag := resp.Header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-z-]+"$`).MatchString(tag) {
			t.Errorf("%s (%q): ETag %q, want a quoted strong tag", c.path, c.accept, tag)
			continue
		}
		if prev, dup := tags[tag]; dup {
			t.Errorf("%s (%q) has the ETag of %s", c.path, c.accept, prev)
		}
		tags[tag] = c.path + " " + c.accept
		again := get(h, "GET", c.path, "Accept-Encoding", c.accept, "If-None-Match", tag)
		if again.StatusCode != http.StatusNotModified || body(t, again) != "" {
			t.Errorf("%s (%q) with If-None-Match %s: status %d, want 304 without a body", c.path, c.accept, tag, again.StatusCode)
		}
		other := get(h, "GET", c.path, "Accept-Encoding", c.accept, "If-None-Match", `"other"`)
		if other.StatusCode != http.StatusOK {
			t.Errorf("%s with a different If-None-Match: status %d, want 200", c.path, other.StatusCode)
		}
	}
	for _, name := range []string{"Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy"} {
		if got := get(h, "GET", "/").Header.Get(name); got != "" {
			t.Errorf("%s: %q, want none (no threads, no isolation needed)", name, got)
		}
	}
}

func TestRefusedPaths(t *testing.T) {
	h := newHandler(t, tree(t), nil)
	for _, target := range []string{
		"/../outside/secret.txt",
		"/sub/../../outside/secret.txt",
		"/%2e%2e/outside/secret.txt",
		"/%2E%2E/outside/secret.txt",
		"/.%2e/outside/secret.txt",
		"/sub/%2e%2e/%2e%2e/outside/secret.txt",
		"/..%2foutside%2fsecret.txt",
		"/sub%2f..%2f..%2foutside%2fsecret.txt",
		"/sub%2Findex.html",
		"/..%5coutside%5csecret.txt",
		"/sub\\..\\..\\outside\\secret.txt",
		"/./index.html",
		"//index.html",
		"/sub//index.html",
		"/.env",
		"/.git/config",
		"/%2egit/config",
		"/sub/..secret",
		"/out-file",
		"/out-dir/secret.txt",
		"/out-dir/",
		"/abs-file",
		"/empty/",
		"/missing.js",
		"/index.html/",
		"/n2n.wasm%00.png",
	} {
		resp := get(h, "GET", target)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, resp.StatusCode)
		}
		if b := body(t, resp); strings.Contains(b, secret) {
			t.Errorf("GET %s: body shows the secret: %q", target, b)
		}
	}
}

// TestRefusedPathsOverTheWire sends raw request lines to a real server, so
// that nothing between the client and the handler cleans the path first.
func TestRefusedPathsOverTheWire(t *testing.T) {
	srv := httptest.NewServer(newHandler(t, tree(t), nil))
	defer srv.Close()
	for _, target := range []string{"/../outside/secret.txt", "/%2e%2e/outside/secret.txt", "/..%2foutside%2fsecret.txt", "/.env", "/out-file"} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, resp)
		conn.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(b, secret) {
			t.Errorf("GET %s over TCP: status %d, body %q; want a refusal", target, resp.StatusCode, b)
		}
	}
}

func TestDirectories(t *testing.T) {
	h := newHandler(t, tree(t), nil)
	for _, c := range []struct{ target, wantTitle string }{{"/", "root"}, {"/sub/", "sub"}, {"/sub/index.html", "sub"}} {
		resp := get(h, "GET", c.target)
		if b := body(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, "<title>"+c.wantTitle+"</title>") {
			t.Errorf("GET %s: status %d body %q, want the %s index", c.target, resp.StatusCode, b, c.wantTitle)
		}
		if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", c.target, got)
		}
	}
	for _, c := range []struct{ target, want string }{{"/sub", "./sub/"}, {"/sub?model=a", "./sub/?model=a"}, {"/empty", "./empty/"}} {
		resp := get(h, "GET", c.target)
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != c.want {
			t.Errorf("GET %s: status %d Location %q, want 301 to %q", c.target, resp.StatusCode, resp.Header.Get("Location"), c.want)
		}
	}
}

func TestMethods(t *testing.T) {
	h := newHandler(t, tree(t), nil)
	head := get(h, "HEAD", "/app.js")
	if head.StatusCode != http.StatusOK || body(t, head) != "" || head.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD: status %d, Content-Length %q; want 200, a length and no body", head.StatusCode, head.Header.Get("Content-Length"))
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		resp := get(h, m, "/app.js")
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d Allow %q, want 405 and GET, HEAD", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

func TestRange(t *testing.T) {
	h := newHandler(t, tree(t), nil)
	resp := get(h, "GET", "/noext", "Range", "bytes=3-6")
	if resp.StatusCode != http.StatusPartialContent || body(t, resp) != "exte" {
		t.Errorf("Range bytes=3-6: status %d, want 206 with %q", resp.StatusCode, "exte")
	}
}

func TestLogLines(t *testing.T) {
	var log bytes.Buffer
	h := newHandler(t, tree(t), &log)
	get(h, "GET", "/n2n.wasm", "Accept-Encoding", "br")
	get(h, "GET", "/.env")
	get(h, "HEAD", "/app.js")
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z GET /n2n\.wasm 200 12 [0-9.]+(µs|ms|s) br$`),
		regexp.MustCompile(`^\S+ GET /\.env 404 19 [0-9.]+(µs|ms|s)$`),
		regexp.MustCompile(`^\S+ HEAD /app\.js 200 0 [0-9.]+(µs|ms|s)$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("log has %d lines, want %d:\n%s", len(lines), len(want), log.String())
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("log line %d %q does not match %s", i, lines[i], re)
		}
	}
}

func TestHandlerRefusesNonDirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, filepath.Join(dir, "missing")} {
		if _, err := Handler(p, nil); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("Handler(%s): error %v, want one naming the path", p, err)
		}
	}
}
