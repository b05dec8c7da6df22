// Package serve is the static file server of the browser demo (cmd/serve,
// and the browser tests in-process): it serves the files of one directory
// tree and nothing else.
//
//   - Only GET and HEAD; a path is refused (404) when any segment starts with
//     a dot (dotfiles, ".", "..", however they are percent-encoded), is empty
//     ("a//b"), or holds an encoded slash or a backslash. Files are opened
//     through os.Root, so a symbolic link that leads out of the tree is
//     refused too (links within it are followed).
//   - A directory serves its index.html; one without is 404 (no listings).
//     A directory named without its trailing slash is redirected to the
//     name with one, relatively, so that the page's relative URLs work from
//     any sub-path.
//   - Content-Type comes from the extension alone (a fixed table, not the
//     system's mime.types); unknown extensions are application/octet-stream,
//     and every response carries X-Content-Type-Options: nosniff.
//   - Compressible types (text, scripts, JSON, wasm, weights) are sent
//     brotli- or gzip-encoded when the client accepts it: from NAME.br or
//     NAME.gz beside the file when one exists and is not older than it, to
//     the second (as `make dist` writes them), else gzip compressed here, once per file
//     version, and kept in memory. Such responses carry Vary: Accept-Encoding.
//   - Every file is sent with Cache-Control: no-cache and an ETag (size and
//     modification time of the file sent, plus the encoding), so a browser
//     revalidates and gets 304 Not Modified when nothing changed. No file
//     name here is fingerprinted, so nothing gets a long max-age.
//   - No Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy: the demo
//     runs Go's wasm single-threaded (no SharedArrayBuffer), which needs no
//     cross-origin isolation; a threaded build would need both headers.
//   - One log line per request: time, method, path, status, body bytes,
//     duration, and the content encoding when there is one.
package serve

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// types maps a lower-case file extension to its Content-Type and whether
// the content is worth compressing.
var types = map[string]struct {
	contentType  string
	compressible bool
}{
	".html":        {"text/html; charset=utf-8", true},
	".htm":         {"text/html; charset=utf-8", true},
	".js":          {"text/javascript; charset=utf-8", true},
	".mjs":         {"text/javascript; charset=utf-8", true},
	".css":         {"text/css; charset=utf-8", true},
	".json":        {"application/json", true},
	".map":         {"application/json", true},
	".webmanifest": {"application/manifest+json", true},
	".wasm":        {"application/wasm", true},
	".safetensors": {"application/octet-stream", true},
	".npy":         {"application/octet-stream", true},
	".svg":         {"image/svg+xml", true},
	".txt":         {"text/plain; charset=utf-8", true},
	".md":          {"text/markdown; charset=utf-8", true},
	".csv":         {"text/csv; charset=utf-8", true},
	".png":         {"image/png", false},
	".jpg":         {"image/jpeg", false},
	".jpeg":        {"image/jpeg", false},
	".gif":         {"image/gif", false},
	".webp":        {"image/webp", false},
	".ico":         {"image/vnd.microsoft.icon", true},
	".woff2":       {"font/woff2", false},
	".gz":          {"application/gzip", false},
	".br":          {"application/octet-stream", false},
}

// ContentType returns the Content-Type the server sends for a file name and
// whether it compresses such files.
func ContentType(name string) (contentType string, compressible bool) {
	if t, ok := types[strings.ToLower(path.Ext(name))]; ok {
		return t.contentType, t.compressible
	}
	return "application/octet-stream", false
}

// maxGzipCache bounds the bytes of on-the-fly gzip output kept in memory;
// when a new entry would pass it, the cache is emptied first.
const maxGzipCache = 256 << 20

// maxGzipFile is the largest file compressed on the fly (larger ones are
// sent as they are unless a precompressed copy exists).
const maxGzipFile = 64 << 20

// handler serves the tree under dir.
type handler struct {
	dir string

	logMu sync.Mutex
	log   io.Writer

	gzMu    sync.Mutex
	gzCache map[string][]byte // key: name, size and modification time
	gzBytes int
}

// Handler returns a handler serving the files under dir as the package
// comment describes, logging one line per request to log (nil: no log).
// dir is opened anew for every request, so files may be rebuilt while it
// serves; it must be a directory now.
func Handler(dir string, log io.Writer) (http.Handler, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("serve: %s is not a directory", dir)
	}
	if log == nil {
		log = io.Discard
	}
	return &handler{dir: dir, log: log, gzCache: map[string][]byte{}}, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	h.serve(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	line := fmt.Sprintf("%s %s %s %d %d %s", start.UTC().Format("2006-01-02T15:04:05.000Z"), r.Method,
		r.URL.EscapedPath(), rec.status, rec.bytes, time.Since(start).Round(time.Microsecond))
	if enc := rec.Header().Get("Content-Encoding"); enc != "" {
		line += " " + enc
	}
	h.logMu.Lock()
	fmt.Fprintln(h.log, line)
	h.logMu.Unlock()
}

// serve answers one request.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := fileName(r.URL.Path, r.URL.RawPath)
	if !ok {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(h.dir)
	if err != nil {
		http.Error(w, "500 the served directory cannot be opened", http.StatusInternalServerError)
		return
	}
	defer root.Close()

	info, err := root.Stat(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	switch {
	case !info.IsDir() && strings.HasSuffix(r.URL.Path, "/"):
		http.NotFound(w, r) // a file is not a directory
		return
	case info.IsDir():
		if !strings.HasSuffix(r.URL.Path, "/") {
			redirectToDir(w, r)
			return
		}
		name = path.Join(name, "index.html")
		if info, err = root.Stat(name); err != nil {
			http.NotFound(w, r)
			return
		}
	}
	if !info.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h.serveFile(w, r, root, name, info)
}

// fileName turns a request path into a name relative to the served root,
// refusing any path the package comment says is refused. A trailing slash
// leaves the name of the directory (the root is ".").
func fileName(p, rawPath string) (string, bool) {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return "", false
	}
	raw := strings.ToLower(rawPath)
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return "", false
	}
	rel := strings.TrimSuffix(p[1:], "/")
	if rel == "" {
		return ".", true
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	return rel, true
}

// redirectToDir sends a directory's URL without its trailing slash to the
// one with it, by a relative Location that keeps the query.
func redirectToDir(w http.ResponseWriter, r *http.Request) {
	target := path.Base(r.URL.Path) + "/"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", "./"+target)
	w.WriteHeader(http.StatusMovedPermanently)
}

// serveFile sends the regular file name (info) in the best encoding the
// client accepts.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, root *os.Root, name string, info fs.FileInfo) {
	ctype, compressible := ContentType(name)
	hdr := w.Header()
	hdr.Set("Content-Type", ctype)
	hdr.Set("Cache-Control", "no-cache")
	if compressible {
		hdr.Add("Vary", "Accept-Encoding")
		accept := r.Header.Get("Accept-Encoding")
		for _, enc := range []struct{ coding, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
			if !accepts(accept, enc.coding) {
				continue
			}
			if f, cinfo, ok := openPrecompressed(root, name+enc.ext, info); ok {
				defer f.Close()
				hdr.Set("Content-Encoding", enc.coding)
				hdr.Set("ETag", etag(cinfo, enc.coding))
				http.ServeContent(&lengthOnOK{w, cinfo.Size()}, r, name, info.ModTime(), f)
				return
			}
		}
		if accepts(accept, "gzip") && info.Size() <= maxGzipFile {
			if z, err := h.gzipped(root, name, info); err == nil {
				hdr.Set("Content-Encoding", "gzip")
				hdr.Set("ETag", etag(info, "gzip-dynamic"))
				http.ServeContent(&lengthOnOK{w, int64(len(z))}, r, name, info.ModTime(), bytes.NewReader(z))
				return
			}
		}
	}
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	hdr.Set("ETag", etag(info, ""))
	http.ServeContent(w, r, name, info.ModTime(), f)
}

// openPrecompressed opens the precompressed copy cname of a file (info) if
// it is a regular file no older than the file itself, to the second.
func openPrecompressed(root *os.Root, cname string, info fs.FileInfo) (*os.File, fs.FileInfo, bool) {
	f, err := root.Open(cname)
	if err != nil {
		return nil, nil, false
	}
	cinfo, err := f.Stat()
	// Whole seconds: some tools (brotli 1.0) copy the file's time to the copy
	// without its fraction of a second.
	if err != nil || !cinfo.Mode().IsRegular() || cinfo.ModTime().Before(info.ModTime().Truncate(time.Second)) {
		f.Close()
		return nil, nil, false
	}
	return f, cinfo, true
}

// etag is a strong validator of the file sent: its size and modification
// time, and the content coding when it is not identity.
func etag(info fs.FileInfo, coding string) string {
	t := strconv.FormatInt(info.ModTime().UnixNano(), 36) + "-" + strconv.FormatInt(info.Size(), 36)
	if coding != "" {
		t += "-" + coding
	}
	return `"` + t + `"`
}

// gzipped returns the gzip encoding of the file name (info), from the cache
// when this version of the file was compressed before.
func (h *handler) gzipped(root *os.Root, name string, info fs.FileInfo) ([]byte, error) {
	key := name + "\x00" + strconv.FormatInt(info.Size(), 10) + "\x00" + strconv.FormatInt(info.ModTime().UnixNano(), 10)
	h.gzMu.Lock()
	z, ok := h.gzCache[key]
	h.gzMu.Unlock()
	if ok {
		return z, nil
	}
	b, err := root.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) != info.Size() {
		return nil, errors.New("file changed while being read")
	}
	var buf bytes.Buffer
	// The default level: on a 4 MB wasm, 1.5 % larger than level 9 in a
	// quarter of the time (make dist writes level-9 copies for hosting).
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression) // a valid level never fails
	zw.Write(b)
	zw.Close() // writing to a bytes.Buffer does not fail
	z = buf.Bytes()
	h.gzMu.Lock()
	if h.gzBytes+len(z) > maxGzipCache {
		clear(h.gzCache)
		h.gzBytes = 0
	}
	if _, dup := h.gzCache[key]; !dup {
		h.gzCache[key] = z
		h.gzBytes += len(z)
	}
	h.gzMu.Unlock()
	return z, nil
}

// accepts reports whether an Accept-Encoding header value allows coding:
// listed with a q-value above 0, or covered by "*" with one.
func accepts(header, coding string) bool {
	star := false
	for _, item := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(item, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		ok := qualityAboveZero(params)
		switch name {
		case coding:
			return ok
		case "*":
			star = ok
		}
	}
	return star
}

// qualityAboveZero reads the "q=" parameter of an Accept-Encoding item
// (absent: 1) and reports whether it is above 0; a malformed one counts as 0.
func qualityAboveZero(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil && q > 0
	}
	return true
}

// lengthOnOK sets Content-Length on a 200 response: http.ServeContent
// leaves it out when Content-Encoding is set (the length would be ambiguous
// for a range), but a whole encoded body has a known length, which lets
// the page show download progress.
type lengthOnOK struct {
	http.ResponseWriter
	size int64
}

func (l *lengthOnOK) WriteHeader(code int) {
	if code == http.StatusOK {
		l.Header().Set("Content-Length", strconv.FormatInt(l.size, 10))
	}
	l.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (l *lengthOnOK) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// recorder notes the status and body bytes of a response for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
