package main

import (
	"bytes"
	"context"
	"github.com/noise2norm/noise2norm/internal/testutil"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeAndStop(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<title>hi</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testutil.SyncBuffer
	ready := make(chan string, 1)
	status := make(chan int, 1)
	go func() { status <- run(ctx, []string{"-addr", "localhost:0", "-dir", dir}, &stdout, &stderr, ready) }()
	var url string
	select {
	case url = <-ready:
	case code := <-status:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	if !strings.HasPrefix(url, "http://localhost:") || !strings.Contains(stdout.String(), url) {
		t.Errorf("URL %q, stdout %q: want a localhost URL printed", url, stdout.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "<title>hi</title>" {
		t.Errorf("GET /: %d %q", resp.StatusCode, b)
	}
	cancel()
	if code := <-status; code != 0 {
		t.Errorf("exit status %d after stop, want 0; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "GET / 200 ") {
		t.Errorf("stderr has no log line for GET /:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "WARNING") {
		t.Errorf("localhost gave a warning:\n%s", stderr.String())
	}
}

func TestAllInterfacesWarns(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testutil.SyncBuffer
	ready := make(chan string, 1)
	status := make(chan int, 1)
	go func() {
		status <- run(ctx, []string{"-addr", "0.0.0.0:0", "-dir", t.TempDir()}, &stdout, &stderr, ready)
	}()
	select {
	case <-ready:
	case code := <-status:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	}
	cancel()
	<-status
	if !strings.Contains(stderr.String(), "WARNING: listening on all interfaces") {
		t.Errorf("no warning for 0.0.0.0:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "has no index.html") {
		t.Errorf("no warning for a directory without index.html:\n%s", stderr.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-addr", "8080"}, 2, "want HOST:PORT"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"-dir", filepath.Join(t.TempDir(), "missing")}, 1, "missing"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), c.args, &stdout, &stderr, nil); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("serve %q: exit %d, stderr %q; want %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
	}
}
