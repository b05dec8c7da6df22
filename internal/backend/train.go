package backend

// Trainer is a Backend that also computes the gradients of its ops and
// updates parameters: what training needs. Each *Backward method returns the
// gradients of a scalar loss with respect to an op's inputs given dOut, the
// gradient with respect to the op's output. Gradients have their tensor's
// shape; weight gradients are summed over the batch. Ops never modify their
// inputs, except AdamW, which updates its state in place.
type Trainer interface {
	Backend

	// Conv2DBackward is the gradient of out = act(conv(x,w)+b): y is the op's
	// output (act' is taken from it: ReLU y>0, Sigmoid y(1−y)), dy the output
	// gradient. dx is nil unless needDX; db is nil unless hasBias.
	Conv2DBackward(x, w, y, dy Tensor, act Activation, hasBias, needDX bool) (dx, dw, db Tensor)
	// GlobalAvgPoolBackward: dy (N,C,1,1) → dx of shape s, dy/(H·W) everywhere.
	GlobalAvgPoolBackward(dy Tensor, s Shape) Tensor
	// AvgPool2Backward: dy (N,C,H/2,W/2) → dx (N,C,H,W), dy/4 in each 2×2 cell.
	AvgPool2Backward(dy Tensor) Tensor
	// UpsampleBilinearBackward: dy (N,C,f·H,f·W) → dx (N,C,H,W), the
	// transpose of UpsampleBilinear by factor f.
	UpsampleBilinearBackward(dy Tensor, factor int) Tensor
	// SliceChannels returns channels [c0,c1) of x: (N,C,H,W) → (N,c1−c0,H,W)
	// (the backward of Concat).
	SliceChannels(x Tensor, c0, c1 int) Tensor
	// ChannelGateBackward of out = y + y⊙w: dy = dOut⊙(1+w),
	// dw[n,c] = Σ_hw dOut·y.
	ChannelGateBackward(y, w, dOut Tensor) (dy, dw Tensor)
	// SKFFFuseBackward of out = Σ_i softmax_i(logits)⊙os[i]: the gradients
	// of every os[i] and logits[i].
	SKFFFuseBackward(os, logits []Tensor, dOut Tensor) (dos, dlogits []Tensor)
	// LossMapBackward: the gradient with respect to xhat of
	// scale·Σ LossMap(x0, xhat, alpha) (sum over every element of the map);
	// scale = 1/(N·H·W) gives the gradient of the training loss, the map's mean.
	LossMapBackward(x0, xhat Tensor, alpha, scale float32) Tensor
	// LossMapAndBackward returns LossMap(x0, xhat, alpha) (N,1,H,W) and
	// LossMapBackward(x0, xhat, alpha, scale) (N,3,H,W) at once: a training
	// step needs both, and the gradient computes the map's MS-SSIM factors
	// anyway.
	LossMapAndBackward(x0, xhat Tensor, alpha, scale float32) (lossMap, dxhat Tensor)
	// AdamW updates param in place from grad with the moment estimates m and
	// v (same shape, updated in place): decoupled weight decay, then Adam
	// with bias correction for step t ≥ 1 (PyTorch's torch.optim.AdamW).
	AdamW(param, grad, m, v Tensor, h AdamWParams)
}

// AdamWParams are one AdamW step's hyper-parameters, in float64 as
// PyTorch's Python floats hold them (float32 0.999 would put 1−β2 off by
// 1.3e-5 relative).
type AdamWParams struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Step                               int // 1-based
}
