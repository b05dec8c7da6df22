package cpu

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// ncTiles is the most nr-pixel tiles a goroutine computes before it writes
// them out: the mpad×ncTiles·nr block of C it accumulates stays in L2.
const ncTiles = 10

// Conv2D computes out (N,Cout,H,W) = act(conv(x, w) + bias) for x (N,Cin,H,W),
// w (Cout,Cin,k,k) with k odd, bias (1,Cout,1,1) or nil; stride 1, zero
// padding k/2.
//
// Each image is one matrix product C = A·B (see gemm.go): A is w as a
// Cout×(Cin·k·k) matrix, and B's row (ci, ky, kx) is the zero-padded input
// plane ci shifted by (ky, kx). To make every row of B a contiguous window,
// the product is computed on the padded width Wp = W+k−1: column y·Wp+x of C
// is output pixel (y, x), and columns with x ≥ W are discarded. A 1×1
// convolution needs no padding, and C, when Cout is a multiple of mr, is the
// output itself; otherwise the tiles of C whose columns all lie in one
// output row are written straight into the output too (rowOut), and only
// the others are copied out (writeOut). Bias and ReLU are applied by the
// micro-kernel, a sigmoid as C is written out. Goroutines take chunks of
// columns of any image as they become free.
func (b *Backend) Conv2D(x, w, bias backend.Tensor, act backend.Activation) backend.Tensor {
	out := b.alloc(convShape(host(x).S, host(w).S))
	b.conv2D(out, host(x), host(w), bias, act)
	return out
}

// Conv2DInto is Conv2D writing into dst, which has the output's shape (see
// backend.ChannelWriter).
func (b *Backend) Conv2DInto(dst, x, w, bias backend.Tensor, act backend.Activation) {
	out, xt, wt := host(dst), host(x), host(w)
	if want := convShape(xt.S, wt.S); out.S != want {
		panic(fmt.Sprintf("cpu: Conv2DInto: destination %v, want %v", out.S, want))
	}
	b.conv2D(out, xt, wt, bias, act)
}

// convShape is the output shape of Conv2D of x by weights w.
func convShape(xs, ws backend.Shape) backend.Shape {
	return backend.Shape{N: xs.N, C: ws.N, H: xs.H, W: xs.W}
}

// conv2D writes Conv2D(x, w, bias, act) into out.
func (b *Backend) conv2D(out, xt, wt *Tensor, bias backend.Tensor, act backend.Activation) {
	xs, ws := xt.S, wt.S
	k := ws.H
	if ws.W != k || k%2 == 0 || ws.C != xs.C {
		panic(fmt.Sprintf("cpu: Conv2D: input %v, weights %v", xs, ws))
	}
	cin, cout, h, wd, r := xs.C, ws.N, xs.H, xs.W, k/2
	mpad := (cout + mr - 1) / mr * mr
	bv := make([]float32, mpad)
	if bias != nil {
		bt := host(bias)
		if bt.S != (backend.Shape{N: 1, C: cout, H: 1, W: 1}) {
			panic(fmt.Sprintf("cpu: Conv2D: bias %v for weights %v", bt.S, ws))
		}
		copy(bv, bt.Data)
	}
	// out is (N,Cout,H,W), every element written below
	if out.S.Len() == 0 {
		return
	}

	K := cin * k * k
	wp, hp := wd+2*r, h+2*r
	// A k×k convolution copies each image into zero-padded planes of hp×wp
	// floats, with a stride of an odd number of 64-byte lines so that the
	// rows of B one tile reads fall in different cache sets. A 1×1
	// convolution reads the input in place: it does few FLOPs per byte, and
	// copying it to break up power-of-two planes did not pay in measurements.
	// (Neither does packing a tile pair's rows of B any more: the tall
	// kernel feeds 8 rows from each B load, and most 1×1 convolutions of
	// the network ran 3–29% faster without the packing the 4-row kernel
	// had needed.)
	plane := hp * wp
	if r > 0 {
		plane += (48 - plane%32) % 32
	}
	ap := b.scratch(mpad * K)
	defer b.release(ap)
	g := gemmJob{ap: packAOn(ap, wt.Data, cout, K, b.Threads), mpad: mpad, cols: h * wp,
		bias: bv, relu: act == backend.ReLU}
	g.setTapOffsets(cin, k, plane, wp)
	// jobs[n] is image n's product; its B is the image or its padded copy.
	jobs := make([]gemmJob, xs.N)
	if r == 0 {
		for n := range jobs {
			jobs[n] = g
			jobs[n].b = xt.Data[n*cin*plane : (n+1)*cin*plane]
		}
	} else {
		// The 2r extra floats cover the discarded columns of the last row.
		// Only the border is zeroed: the gaps before, between and after
		// the copied rows.
		padded := b.scratch(xs.N*cin*plane + 2*r)
		defer b.release(padded)
		parallel(b.Threads, xs.N*cin, func(lo, hi int) {
			for nc := lo; nc < hi; nc++ {
				dst := padded[nc*plane : (nc+1)*plane]
				clear(dst[:r*wp+r]) // the top rows and the first gap
				next := r*wp + r    // the first element not yet written
				src := xt.Data[nc*h*wd : (nc+1)*h*wd]
				for y := 0; y < h; y++ {
					// the 2r floats between two rows are zeroed in place
					// (a call to clear costs more than they do)
					for i := next; i < y*wp+r*wp+r; i++ {
						dst[i] = 0
					}
					at := (y+r)*wp + r
					copy(dst[at:at+wd], src[y*wd:(y+1)*wd])
					next = at + wd
				}
				clear(dst[next:])
			}
		})
		clear(padded[xs.N*cin*plane:])
		for n := range jobs {
			jobs[n] = g
			jobs[n].b = padded[n*cin*plane : (n+1)*cin*plane+2*r]
		}
	}

	b.runConvJobs(out, jobs, cout, h, wd, wp, r == 0, act)
}

// dynamicParallel runs work(i) for every i in [0, n) on at most threads
// goroutines, each with the work function newWorker made for it (and its
// scratch). A goroutine takes the next i whenever it is free, so a core that
// is slowed down does less of the work.
func dynamicParallel(threads, n int, newWorker func() func(int)) {
	threads = max(1, min(threads, n))
	if threads == 1 { // on the caller's goroutine: no goroutine to start and wake
		work := newWorker()
		for i := range n {
			work(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := newWorker()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				work(i)
			}
		}()
	}
	wg.Wait()
}

// sigmoidInPlace replaces each v in x by 1/(1+e^−v).
func sigmoidInPlace(x []float32) {
	for i, v := range x {
		x[i] = activate(v, backend.Sigmoid)
	}
}

// writeOut copies columns [p0, p1) of C (held in c from column p0 on, row
// stride ldc) to dst (Cout,H,W): column p is pixel (p/wp, p%wp), dropped when
// p%wp ≥ w. With sigmoid, each value goes through the logistic function.
func writeOut(dst, c []float32, ldc, cout, h, w, wp, p0, p1 int, sigmoid bool) {
	for co := 0; co < cout; co++ {
		row := c[co*ldc:]
		plane := dst[co*h*w : (co+1)*h*w]
		for p := p0; p < p1; {
			y, x := p/wp, p%wp
			seg := min(wp-x, p1-p)
			if x < w {
				from := row[p-p0 : p-p0+min(seg, w-x)]
				to := plane[y*w+x : y*w+x+len(from)]
				copy(to, from)
				if sigmoid {
					sigmoidInPlace(to)
				}
			}
			p += seg
		}
	}
}

// setTapOffsets sets g's rows of B to the taps of a k×k convolution over cin
// padded planes (plane floats apart, rows wp floats apart): row
// (ci·k + ky)·k + kx of B starts at ci·plane + ky·wp + kx. It also sets
// maxOff and the gathered tile's offsets tailOffs.
func (g *gemmJob) setTapOffsets(cin, k, plane, wp int) {
	K := cin * k * k
	g.offs = tapOffsets(cin, k, plane, wp)
	g.maxOff = g.offs[K-1]
	g.tailOffs = make([]int, K)
	for i := range g.tailOffs {
		g.tailOffs[i] = i * nr
	}
}

// tapOffsets returns where each tap of a k×k convolution over cin padded
// planes (plane floats apart, rows wp floats apart) starts: tap
// (ci·k + ky)·k + kx at ci·plane + ky·wp + kx.
func tapOffsets(cin, k, plane, wp int) []int {
	offs := make([]int, cin*k*k)
	for ci := 0; ci < cin; ci++ {
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				offs[(ci*k+ky)*k+kx] = ci*plane + ky*wp + kx
			}
		}
	}
	return offs
}

// runConvJobs runs a convolution's products jobs (one per image, sharing
// all but B; unpadded when B is the input itself, its width wd = wp) and
// writes out (N,Cout,H,W): C of mpad rows and h·wp columns, column y·wp+x
// being pixel (y, x) when x < wd.
func (b *Backend) runConvJobs(out *Tensor, jobs []gemmJob, cout, h, wd, wp int, unpadded bool, act backend.Activation) {
	if len(jobs) == 0 {
		return
	}
	g, mpad := &jobs[0], jobs[0].mpad
	// Where the platform has a whole-product kernel (WebAssembly SIMD), it
	// does the work (conv_whole.go).
	if b.convWhole(jobs, out.Data, cout, h, wd, wp, act) {
		return
	}

	// Chunks of at most ncTiles tiles, at least four per goroutine.
	tiles := (g.cols + nr - 1) / nr
	threads := max(1, b.Threads)
	chunk := max(1, min(ncTiles, (tiles+4*threads-1)/(4*threads)))
	if wideKernel != nil {
		// an even number of tiles, so that no chunk but the image's last
		// ends in a tile the narrow kernel computes alone
		chunk += chunk % 2
	}
	chunks := (tiles + chunk - 1) / chunk
	direct := unpadded && mpad == cout
	// Otherwise, with every row of C an output channel and no sigmoid,
	// tiles that fall within one output row are written straight to the
	// output, the rest through c and writeOut.
	rowsDirect := mpad == cout && act != backend.Sigmoid
	outLen := cout * h * wd
	var mu sync.Mutex
	var scratch []*gemmScratch // the goroutines' scratch, given back at the end
	dynamicParallel(threads, len(jobs)*chunks, func() func(int) {
		s := g.newScratch(b)
		var c []float32
		ldc := chunk * nr
		if !direct {
			c = b.scratch(mpad * ldc) // written by tiles before writeOut reads it
			s.c = c
		}
		mu.Lock()
		scratch = append(scratch, s)
		mu.Unlock()
		return func(i int) {
			n, t0 := i/chunks, i%chunks*chunk
			t1 := min(tiles, t0+chunk)
			p0, p1 := t0*nr, min(t1*nr, g.cols)
			dst := out.Data[n*outLen : (n+1)*outLen]
			if !direct {
				if !rowsDirect {
					jobs[n].tiles(t0, t1, c, ldc, s)
					writeOut(dst, c, ldc, cout, h, wd, wp, p0, p1, act == backend.Sigmoid)
					return
				}
				// The runs within one output row went to dst; the others
				// (across a row's end, or the last) are copied out of c.
				runs := jobs[n].tilesTo(t0, t1, c, ldc, s, &rowOut{dst: dst, w: wd, wp: wp, plane: h * wd})
				for _, r := range runs {
					if r.direct {
						continue
					}
					q0 := r.t * nr
					q1 := q0 + nr
					if r.wide {
						q1 += nr
					}
					writeOut(dst, c[q0-p0:], ldc, cout, h, wd, wp, q0, min(q1, p1), false)
				}
				return
			}
			jobs[n].tiles(t0, t1, dst[p0:], g.cols, s)
			if act == backend.Sigmoid {
				for co := 0; co < cout; co++ {
					sigmoidInPlace(dst[co*g.cols+p0 : co*g.cols+p1])
				}
			}
		}
	})
	for _, s := range scratch {
		s.release(b)
	}
}
