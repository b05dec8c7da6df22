//go:build !js

package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestServeBrowser checks the bench page's server: the page, peerbench.wasm
// and the peers' files come back from 127.0.0.1, and the output the page
// posts is recorded and decodes to the floats it was made of.
func TestServeBrowser(t *testing.T) {
	dir := t.TempDir()
	b := &bench{peersDir: dir}
	wasm := filepath.Join(dir, "peerbench.wasm")
	if err := os.WriteFile(wasm, []byte("\x00asm"), 0o644); err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(dir, "node_modules", "onnxruntime-web", "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "ort.wasm.min.js"), []byte("// ort"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -2.5, 3e-7}
	if err := writeFloats(filepath.Join(dir, "input.f32"), want); err != nil {
		t.Fatal(err)
	}
	srv, stop, err := b.serveBrowser(wasm)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(srv.url, "http://127.0.0.1:") {
		t.Errorf("server at %s, want 127.0.0.1", srv.url)
	}
	for path, body := range map[string]string{
		"/bench.html":          string(browserPage),
		"/peerbench.wasm":      "\x00asm",
		"/ort/ort.wasm.min.js": "// ort",
	} {
		got := get(t, srv.url+path)
		if got != body {
			t.Errorf("GET %s: %.40q, want %.40q", path, got, body)
		}
	}
	if got, _ := floatsOf([]byte(get(t, srv.url+"/data/input.f32"))); !slices.Equal(got, want) {
		t.Errorf("GET /data/input.f32 decodes to %v, want %v", got, want)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "input.f32"))
	resp, err := http.Post(srv.url+"/result/output", "application/octet-stream", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, err := floatsOf(srv.output); err != nil || !slices.Equal(got, want) {
		t.Errorf("posted output decodes to %v (%v), want %v", got, err, want)
	}
	if _, err := floatsOf([]byte{1, 2, 3}); err == nil {
		t.Errorf("3 bytes decoded as float32s without an error")
	}
}

// get returns the body of a GET of url, failing t unless it is 200 OK.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(body)
}
