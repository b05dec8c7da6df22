// Package train trains an N2N-M network on the normal images of a data set
// (MVTec AD, MPDD, VisA or a folder of images): AdamW with cosine annealing,
// a held-out validation set, early stopping, best and last checkpoints that
// a run resumes from exactly, a progress bar, a JSON-lines log and a loss
// plot. cmd/train is its command line.
package train
