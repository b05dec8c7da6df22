package cpu

// The convolution's matrix product. C (M×P, row-major) = A (M×K, row-major)
// · B (K×P), where B is never stored: row k of B is the window
// b[offs[k] : offs[k]+P] of one flat source slice. For a k×k convolution the
// source is the zero-padded input image and offs[k] the shift of tap
// (ci, ky, kx) — an implicit im2col; for a 1×1 convolution the source is the
// input itself and offs[ci] is the start of channel plane ci.
//
// The blocking follows Goto/BLIS: the K dimension is cut into blocks of at
// most kcMax, the M dimension into blocks of at most mcMax rows, and a
// register-tiled micro-kernel computes one mr×nr tile of C over one K block.
// A is packed once into mr-row panels; B needs no packing because each tile's
// rows are contiguous windows that stay in L1 while the kernel sweeps the
// A panels of an M block (the kernel prefetches the next tile's windows).
// Bias and ReLU are fused into the kernel: the first K block starts from the
// bias, the last one clamps.

const (
	mr    = 4   // rows of C (output channels) per micro-tile
	nr    = 24  // columns of C (pixels) per micro-tile
	kcMax = 256 // K block: an nr-column window of B over kcMax rows fits in L1
	// kcWide is the K block with the wide kernel: its 2nr-column window
	// over kcWide rows (24 KiB) fits in L1 with room for A's panel.
	kcWide = 128
	mcMax  = 128 // M block: mcMax×kcMax floats of packed A stay in L2
)

// Micro-kernel flags.
const (
	accumulate = 1 << iota // start from the tile in c instead of from the bias
	relu                   // clamp the tile at zero before storing it
)

// microKernel computes the mr×nr tile c[i*ldc+j] (i < mr, j < nr) as
// init + Σ_{k<kc} a[k*mr+i] · b[offs[k]+j], where init is c[i*ldc+j] itself
// when flags has accumulate and bias[i] otherwise; with flags&relu the sum is
// clamped at zero. a is an mr-row panel packed k-major (see packA). The caller
// guarantees offs[k]+nr ≤ len(b) for every k < kc.
type microKernel func(kc int, a, b []float32, offs []int, c []float32, ldc int, bias []float32, flags int)

// kernel is the fastest micro-kernel this machine runs; an init function in a
// platform file may replace the portable one.
var kernel microKernel = kernelGo

// wideKernel, when a platform file sets it, computes two adjacent tiles at
// once: the mr×2nr tile c[i*ldc+j] (j < 2nr) under microKernel's contract
// with nr replaced by 2nr (offs[k]+2nr ≤ len(b)). It suits wider registers
// (AVX-512: twelve zmm accumulators of 16 floats) without changing the tile
// every other kernel and the packing use.
var wideKernel microKernel

// tallKernel, when a platform file sets it (with wideKernel), computes
// pairs 2mr×2nr tiles of two A panels each over two adjacent tiles: the
// rows mr·i … mr·i+mr−1 (i < 2·pairs) as wideKernel with the panel
// a[i·astride:], bias[mr·i:] and c's rows from c[mr·i·ldc:] on. One call
// covers 2mr·pairs rows, so the call's cost is paid once per run of rows.
var tallKernel func(kc int, a []float32, astride int, b []float32, offs []int, c []float32, ldc int, bias []float32, flags int, pairs int)

// kernelGo is the portable micro-kernel: plain Go, four rows of nr scalar
// accumulators.
func kernelGo(kc int, a, b []float32, offs []int, c []float32, ldc int, bias []float32, flags int) {
	var t [mr][nr]float32
	for i := range t {
		if flags&accumulate != 0 {
			t[i] = *(*[nr]float32)(c[i*ldc : i*ldc+nr])
		} else {
			for j := range t[i] {
				t[i][j] = bias[i]
			}
		}
	}
	c0, c1, c2, c3 := &t[0], &t[1], &t[2], &t[3]
	a = a[:kc*mr]
	for k, o := range offs[:kc] {
		bk := (*[nr]float32)(b[o : o+nr])
		a0, a1, a2, a3 := a[k*mr], a[k*mr+1], a[k*mr+2], a[k*mr+3]
		for j, v := range bk {
			c0[j] += a0 * v
			c1[j] += a1 * v
			c2[j] += a2 * v
			c3[j] += a3 * v
		}
	}
	for i := range t {
		if flags&relu != 0 {
			for j, v := range t[i] {
				if v < 0 {
					t[i][j] = 0
				}
			}
		}
		*(*[nr]float32)(c[i*ldc : i*ldc+nr]) = t[i]
	}
}

// packA repacks a (m×k, row-major) into ap, ceil(m/mr) panels of k·mr
// floats: panel p holds rows p·mr … p·mr+mr−1 interleaved k-major, so element
// (i, kk) sits at p·k·mr + kk·mr + i−p·mr. Rows past m are zero. ap's old
// contents are overwritten; it is returned.
func packA(ap, a []float32, m, k int) []float32 { return packAOn(ap, a, m, k, 1) }

// packAOn is packA on up to threads goroutines, for large matrices.
func packAOn(ap, a []float32, m, k, threads int) []float32 {
	clear(ap[m/mr*mr*k:]) // the last panel's rows past m are zero
	// Full panels four rows at a time, so that the panel is written in
	// order; then the rows of a partial last panel.
	full := m / mr
	if m*k < packAParallel {
		threads = 1
	}
	parallel(threads, full, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			panel := ap[p*k*mr : (p+1)*k*mr]
			r0, r1, r2, r3 := a[p*mr*k:][:k], a[(p*mr+1)*k:][:k], a[(p*mr+2)*k:][:k], a[(p*mr+3)*k:][:k]
			for kk := range k {
				q := panel[kk*mr : kk*mr+mr : kk*mr+mr]
				q[0], q[1], q[2], q[3] = r0[kk], r1[kk], r2[kk], r3[kk]
			}
		}
	})
	for i := full * mr; i < m; i++ {
		panel := ap[i/mr*k*mr:]
		for kk, v := range a[i*k : (i+1)*k] {
			panel[kk*mr+i%mr] = v
		}
	}
	return ap
}

// packAParallel is the number of weights from which packA uses several
// goroutines (below it, starting them costs about as much as they save).
const packAParallel = 1 << 16

// gemmJob is one product C = act(A·B + bias) with C of mpad rows and cols
// columns. Row k of B is b[offs[k] : offs[k]+cols]; reads past the end of b,
// which only the last tile can make, see zeros.
type gemmJob struct {
	ap       []float32 // A packed by packA: mpad rows, K = len(offs) columns
	mpad     int       // rows of A and C, a multiple of mr
	b        []float32 // the source of B's rows
	offs     []int     // start in b of each row of B
	maxOff   int       // the largest of offs
	cols     int       // columns of C
	bias     []float32 // mpad values added to the rows of C
	relu     bool      // clamp C at zero (else no activation)
	tailOffs []int     // k·nr for k < K: the offsets of a gathered tile
}

// gemmScratch is one goroutine's scratch for gemmJob.tiles.
type gemmScratch struct {
	tail []float32 // K×nr: the last tile's rows of B, gathered
	edge []float32 // mpad×nr: the last tile of C when it is partial
	c    []float32 // the block of C a convolution writes out from, if any
	runs []tileRun // the runs of the last tiles call
}

// newScratch takes from the pool of b the scratch one goroutine needs for g
// (tiles writes both buffers before reading them); give it back with
// release.
func (g *gemmJob) newScratch(b *Backend) *gemmScratch {
	s := &gemmScratch{tail: b.scratch(len(g.offs) * nr), edge: b.scratch(g.mpad * nr), runs: make([]tileRun, 0, ncTiles)}
	return s
}

// release gives s's buffers back to the pool of b.
func (s *gemmScratch) release(b *Backend) {
	b.release(s.tail)
	b.release(s.edge)
	b.release(s.c)
}

// rowOut says where the columns of a padded-width C belong in the output
// image (Cout,H,W): column y·wp+x is pixel (y, x), dropped when x ≥ w.
// tiles writes a tile whose columns all lie in one row's pixels straight
// into dst (row stride plane) instead of into its block of C.
type rowOut struct {
	dst          []float32 // the image's output, Cout = mpad planes
	w, wp, plane int
}

// tileRun is one micro-kernel call's columns of C, in tiles of nr: the
// tile t, and a second one (t+1) when wide; direct when it is written
// straight into the output (see rowOut).
type tileRun struct {
	t            int
	wide, direct bool
}

// tiles computes columns [t0·nr, min(t1·nr, cols)) of C into c (row stride
// ldc; column 0 of c is column t0·nr of C), all mpad rows. Columns past cols
// are not written.
func (g *gemmJob) tiles(t0, t1 int, c []float32, ldc int, s *gemmScratch) {
	g.tilesTo(t0, t1, c, ldc, s, nil)
}

// tilesTo is tiles, except that with out, the tiles whose columns lie in
// one output row go straight to out.dst and are not written to c: it
// returns the runs it computed, in order, for the caller to copy out the
// others (writeOut).
func (g *gemmJob) tilesTo(t0, t1 int, c []float32, ldc int, s *gemmScratch, out *rowOut) []tileRun {
	K := len(g.offs)
	// last is the first tile, if any, whose B rows run past the end of b: its
	// rows are gathered zero-filled into s.tail.
	last := t1
	if g.maxOff+t1*nr > len(g.b) {
		last = t1 - 1
		p := last * nr
		for k, o := range g.offs {
			row := s.tail[k*nr : (k+1)*nr]
			n := copy(row, g.b[min(o+p, len(g.b)):])
			clear(row[n:])
		}
	}
	// A partial last tile of C is computed in s.edge and copied out at the end.
	partial := t1*nr > g.cols
	// The runs: two regular tiles (B in range, C full) go to the wide
	// kernel together.
	runs := s.runs[:0]
	for t := t0; t < t1; t++ {
		r := tileRun{t: t}
		if wideKernel != nil && t+1 < last && !(partial && t+1 == t1-1) {
			r.wide = true
		}
		width := nr
		if r.wide {
			width = 2 * nr
		}
		if out != nil && t < last && !(partial && t == t1-1) {
			x := t * nr % out.wp
			r.direct = x+width <= out.w
		}
		runs = append(runs, r)
		if r.wide {
			t++
		}
	}
	s.runs = runs
	kcb := kcMax
	if wideKernel != nil {
		kcb = kcWide
	}
	for k0 := 0; k0 < K; k0 += kcb {
		kc := min(kcb, K-k0)
		flags := 0
		if k0 > 0 {
			flags |= accumulate
		}
		if g.relu && k0+kc == K {
			flags |= relu
		}
		for m0 := 0; m0 < g.mpad; m0 += mcMax {
			m1 := min(g.mpad, m0+mcMax)
			for _, r := range runs {
				t := r.t
				ct, ldt := c[(t-t0)*nr:], ldc
				if r.direct {
					p := t * nr
					ct, ldt = out.dst[p/out.wp*out.w+p%out.wp:], out.plane
				}
				if r.wide {
					bt, ot := g.b[t*nr:], g.offs[k0:]
					m := m0
					if pairs := (m1 - m0) / (2 * mr); tallKernel != nil && pairs > 0 {
						tallKernel(kc, g.ap[m*K+k0*mr:], mr*K, bt, ot, ct[m*ldt:], ldt, g.bias[m:], flags, pairs)
						m += pairs * 2 * mr
					}
					for ; m < m1; m += mr {
						wideKernel(kc, g.ap[m*K+k0*mr:], bt, ot, ct[m*ldt:], ldt, g.bias[m:], flags)
					}
					continue
				}
				bt, ot := g.b[t*nr:], g.offs[k0:]
				if t >= last {
					bt, ot = s.tail, g.tailOffs[k0:]
				}
				if partial && t == t1-1 {
					ct, ldt = s.edge, nr
				}
				for m := m0; m < m1; m += mr {
					kernel(kc, g.ap[m*K+k0*mr:], bt, ot, ct[m*ldt:], ldt, g.bias[m:], flags)
				}
			}
		}
	}
	if partial {
		p := (t1 - 1 - t0) * nr
		n := g.cols - (t1-1)*nr
		for m := 0; m < g.mpad; m++ {
			copy(c[m*ldc+p:m*ldc+p+n], s.edge[m*nr:])
		}
	}
	return runs
}
