// Command serve serves a directory (the browser demo's site/ by default)
// over HTTP for local use: correct MIME types (application/wasm included),
// precompressed .br/.gz copies or on-the-fly gzip, revalidating cache
// headers, only the files of that tree, one log line per request on stderr
// (see package internal/serve).
//
// Usage:
//
//	serve [-addr HOST:PORT] [-dir DIR]
//
// -addr defaults to localhost:8080, reachable from this machine only; an
// address on all interfaces (":8080", "0.0.0.0:8080", "[::]:8080") serves
// the tree to the whole network and is said so loudly. Port 0 picks a free
// port. It prints the URL to open, and stops on Ctrl-C or SIGTERM after
// finishing the requests under way.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/noise2norm/noise2norm/internal/serve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run parses args, listens and serves until ctx ends. ready, when not nil,
// receives the URL once the server listens (for tests). Exit status: 0 after
// a clean stop, 1 on a failure, 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "localhost:8080", "`HOST:PORT` to listen on; localhost only unless told otherwise")
	dir := fs.String("dir", "site", "the `directory` to serve")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: serve [-addr HOST:PORT] [-dir DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "serve: -addr %q: %v (want HOST:PORT, such as localhost:8080)\n", *addr, err)
		return 2
	}

	h, err := serve.Handler(*dir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(*dir, "index.html")); err != nil {
		fmt.Fprintf(stderr, "serve: warning: %s has no index.html (make wasm, or the demo page is not there yet)\n", *dir)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		fmt.Fprintf(stderr, "serve: WARNING: listening on all interfaces (%s): every machine that can reach this one can read %s\n", ln.Addr(), *dir)
	}
	url := "http://" + displayAddr(host, ln.Addr().(*net.TCPAddr)) + "/"
	fmt.Fprintf(stdout, "serving %s on %s (Ctrl-C to stop)\n", *dir, url)
	if ready != nil {
		ready <- url
	}

	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	fmt.Fprintln(stderr, "serve: stopped")
	return 0
}

// displayAddr is the host:port to print in the URL: the host as given
// (localhost stays localhost), or this machine's loopback name for an
// unspecified one, with the port actually bound.
func displayAddr(host string, bound *net.TCPAddr) string {
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, fmt.Sprint(bound.Port))
}
