// Package metrics computes the evaluation metrics of anomaly detection:
// image AUROC and ROC curve, the F1-optimal threshold, pooled pixel AUROC
// and AUPRO (the area under the per-region-overlap curve), each checked
// against values written by scikit-learn and a NumPy AUPRO reference
// (testdata/make_metrics_reference.py, testdata/metrics/).
//
// Conventions. Higher score = more anomalous; labels and mask pixels are
// true when anomalous; a sample with score ≥ threshold is predicted
// anomalous. Equal scores are ties, counted half in AUROC, and −0 equals +0.
//
// Memory. AUROC, ROC and BestF1 sort a copy of their (image-level) input,
// 16 bytes per sample. PixelROC keeps a fixed histogram instead of the
// pixels: 16 MiB whatever the number of images, with an error that it
// bounds and reports (PixelROC.ErrorBound; see PixelROC). Exact pooled
// AUROC over millions of pixels would need their scores sorted (at least 4
// bytes a pixel, 52 MB for 200 images of 256×256, growing with the test
// set); on continuous maps the histogram's bound is about 3.5e−5 (tests
// and benchmark), far below the 0.1 point to which AUROC is reported, and
// its actual error smaller still (6.4e−7 in TestPixelROCErrorAgainstExact).
// The bound is loose only where exactly equal scores of both classes meet
// (an all-equal map gives bound 0.5 and error 0). AUPRO, whose caller holds all
// maps anyway, sorts 4 bytes per normal and 8 per anomalous pixel and is
// exact.
//
// Benchmarks, 200 maps of 256×256 (13.1 M pixels, 5% anomalous), measured
// with go test -run '^$' -bench . -benchtime 3x ./internal/metrics/ on this
// project's 2-core build machine shared with other jobs (load about 8), so
// times are upper bounds: BenchmarkPixelROC (Add every map, then AUROC)
// 0.12–0.28 s, 9.5–22 ns a pixel, 16 MiB in 2 allocations (0 bytes a
// pixel), error bound 3.4e−5; BenchmarkAUPRO 1.4–2.4 s, 62.6 MB (4.8 bytes
// a pixel).
//
// Bad input. Slices of different lengths, a map and mask of a size other
// than h×w, and maxFPR outside (0, 1] are programming errors: the functions
// panic with a message naming the sizes. NaN scores are data errors: the
// result is NaN (AUROC, AUPRO, PixelROC.AUROC), a point of NaNs (BestF1) or
// nil curves (ROC, PROCurve, as for empty input), so a NaN map never yields
// a plausible number; PixelROC.NaNCount says how many pixels were NaN.
package metrics
