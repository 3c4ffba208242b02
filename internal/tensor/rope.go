package tensor

import (
	"errors"
	"fmt"
	"math"
)

// RoPEScaling is a model's rope_scaling (or rope_parameters) block from
// config.json. Type "" and "default" mean no scaling.
type RoPEScaling struct {
	Type                 string  // "", "default", "linear", "dynamic" or "llama3"
	Factor               float64 // linear, dynamic, llama3
	LowFreqFactor        float64 // llama3
	HighFreqFactor       float64 // llama3
	OriginalMaxPositions int     // llama3: original_max_position_embeddings
}

// ropeTableMax bounds the positions whose cos/sin are precomputed by NewRoPE
// (8192 positions × 64 frequencies × 2 tables × 4 bytes = 4 MiB at head_dim 128);
// later positions are computed on the fly.
const ropeTableMax = 8192

// RoPE applies rotary position embeddings in the rotate-half layout of Hugging
// Face's apply_rotary_pos_emb, with the inverse frequencies of
// transformers' modeling_rope_utils. It is immutable and safe for concurrent use.
type RoPE struct {
	headDim, half int
	theta         float64
	scaling       RoPEScaling
	maxPositions  int
	invFreq       []float32 // inv_freq for sequences within maxPositions
	cos, sin      []float32 // [tableLen][half] for invFreq
	tableLen      int
}

// NewRoPE precomputes the rotation for heads of headDim values (all rotated),
// base frequency theta (rope_theta) and the given scaling; maxPositions is
// max_position_embeddings, which dynamic NTK scaling measures against.
func NewRoPE(headDim int, theta float64, scaling RoPEScaling, maxPositions int) (*RoPE, error) {
	if headDim <= 0 || headDim%2 != 0 {
		return nil, fmt.Errorf("tensor: rope: head dimension %d must be positive and even", headDim)
	}
	if !(theta > 0) || math.IsInf(theta, 0) {
		return nil, fmt.Errorf("tensor: rope: rope_theta %v must be positive", theta)
	}
	if maxPositions < 0 {
		return nil, fmt.Errorf("tensor: rope: max_position_embeddings %d is negative", maxPositions)
	}
	if err := scaling.validate(maxPositions); err != nil {
		return nil, fmt.Errorf("tensor: rope: rope_scaling: %w", err)
	}
	r := &RoPE{headDim: headDim, half: headDim / 2, theta: theta, scaling: scaling, maxPositions: maxPositions}
	r.invFreq = make([]float32, r.half)
	ropeInvFreq(r.invFreq, theta, headDim)
	switch scaling.Type {
	case "linear":
		f := float32(scaling.Factor)
		for i := range r.invFreq {
			r.invFreq[i] /= f
		}
	case "llama3":
		llama3InvFreq(r.invFreq, scaling)
	}
	r.tableLen = min(maxPositions, ropeTableMax)
	r.cos = make([]float32, r.tableLen*r.half)
	r.sin = make([]float32, r.tableLen*r.half)
	for p := range r.tableLen {
		ropeSinCos(r.cos[p*r.half:(p+1)*r.half], r.sin[p*r.half:(p+1)*r.half], r.invFreq, p)
	}
	return r, nil
}

func (s RoPEScaling) validate(maxPositions int) error {
	switch s.Type {
	case "", "default":
		return nil
	case "linear", "dynamic", "llama3":
	default:
		return fmt.Errorf("type %q is not supported (want default, linear, dynamic or llama3)", s.Type)
	}
	if !(s.Factor > 0) || math.IsInf(s.Factor, 0) {
		return fmt.Errorf("%s: factor %v must be positive", s.Type, s.Factor)
	}
	switch s.Type {
	case "dynamic":
		if maxPositions <= 0 {
			return errors.New("dynamic: needs max_position_embeddings")
		}
	case "llama3":
		if s.OriginalMaxPositions <= 0 {
			return fmt.Errorf("llama3: original_max_position_embeddings %d must be positive", s.OriginalMaxPositions)
		}
		if !(s.LowFreqFactor > 0) || !(s.HighFreqFactor > s.LowFreqFactor) || math.IsInf(s.HighFreqFactor, 0) {
			return fmt.Errorf("llama3: need 0 < low_freq_factor (%v) < high_freq_factor (%v)", s.LowFreqFactor, s.HighFreqFactor)
		}
	}
	return nil
}

// HeadDim returns the length of the vectors Apply rotates.
func (r *RoPE) HeadDim() int { return r.headDim }

// Apply rotates, in place, each head vector of x, laid out
// [len(positions), nHeads, headDim], by the angles of its token's position.
// With dynamic scaling the frequencies depend on the longest sequence in the call
// (max(positions)+1), as in transformers; call Apply once per sequence to keep a
// sequence's result independent of its batch.
func (r *RoPE) Apply(x []float32, nHeads int, positions []int) {
	seqLen := 0
	for _, p := range positions {
		seqLen = max(seqLen, p+1)
	}
	r.ApplyLen(x, nHeads, positions, seqLen)
}

// ApplyLen is Apply with the sequence length dynamic scaling uses given
// rather than taken from positions: a caller that rotates one sequence's
// rows in parts (in parallel) passes the whole sequence's max(positions)+1 to
// every part, so that the parts get the frequencies Apply would give the
// whole. Without dynamic scaling seqLen is not used.
func (r *RoPE) ApplyLen(x []float32, nHeads int, positions []int, seqLen int) {
	stride := nHeads * r.headDim
	checkLen("RoPE.Apply", "x", len(x), len(positions)*stride)
	invFreq, useTable := r.invFreq, true
	if r.scaling.Type == "dynamic" {
		if seqLen > r.maxPositions {
			invFreq, useTable = make([]float32, r.half), false
			r.dynamicInvFreq(invFreq, seqLen)
		}
	}
	var cosBuf, sinBuf [256]float32
	k := activeKernels()
	for t, p := range positions {
		if p < 0 {
			panic(fmt.Sprintf("tensor.RoPE.Apply: negative position %d", p))
		}
		var cos, sin []float32
		if useTable && p < r.tableLen {
			cos, sin = r.cos[p*r.half:(p+1)*r.half], r.sin[p*r.half:(p+1)*r.half]
		} else if r.half <= len(cosBuf) {
			cos, sin = cosBuf[:r.half], sinBuf[:r.half]
			ropeSinCos(cos, sin, invFreq, p)
		} else {
			cos, sin = make([]float32, r.half), make([]float32, r.half)
			ropeSinCos(cos, sin, invFreq, p)
		}
		k.rotateHeads(x[t*stride:(t+1)*stride], cos, sin)
	}
}

// rotateHeadsGo applies rotateHalf to each of the len(x)/(2·len(cos)) heads
// of x.
func rotateHeadsGo(x, cos, sin []float32) {
	d := 2 * len(cos)
	for h := 0; h+d <= len(x); h += d {
		rotateHalf(x[h:h+d], cos, sin)
	}
}

// rotateHalf computes v·cos + rotate_half(v)·sin, rotate_half(v) = (−v₂, v₁), with
// each product rounded to float32 before the sum as torch does.
func rotateHalf(v, cos, sin []float32) {
	half := len(cos)
	lo, hi := v[:half], v[half:2*half]
	for i, c := range cos {
		s := sin[i]
		a, b := lo[i], hi[i]
		lo[i] = float32(a*c) - float32(b*s)
		hi[i] = float32(b*c) + float32(a*s)
	}
}

// ropeSinCos fills the tables for one position: angle = float32(p·inv_freq), as
// torch's float32 product of position ids and inverse frequencies.
func ropeSinCos(cos, sin, invFreq []float32, p int) {
	fp := float32(p)
	for i, f := range invFreq {
		angle := float64(fp * f)
		s, c := math.Sincos(angle)
		cos[i], sin[i] = float32(c), float32(s)
	}
}

// ropeInvFreq computes 1 / theta^(2i/dim) with transformers' float32 roundings.
func ropeInvFreq(dst []float32, theta float64, dim int) {
	for i := range dst {
		exp := float32(2*i) / float32(dim)
		dst[i] = 1 / float32(math.Pow(theta, float64(exp)))
	}
}

// dynamicInvFreq is _compute_dynamic_ntk_parameters for a sequence of seqLen
// tokens beyond max_position_embeddings: the base grows with the length.
func (r *RoPE) dynamicInvFreq(dst []float32, seqLen int) {
	f := r.scaling.Factor
	dim := float64(r.headDim)
	base := r.theta * math.Pow(f*float64(seqLen)/float64(r.maxPositions)-(f-1), dim/(dim-2))
	ropeInvFreq(dst, base, r.headDim)
}

// llama3InvFreq is _compute_llama3_parameters: long wavelengths are divided by
// factor, short ones kept, and the band between interpolated smoothly. The float32
// roundings follow the torch tensor arithmetic step by step.
func llama3InvFreq(inv []float32, s RoPEScaling) {
	factor := float32(s.Factor)
	old := float64(s.OriginalMaxPositions)
	// torch compares a float32 tensor with a Python float in float32.
	lowWavelen := float32(old / s.LowFreqFactor)
	highWavelen := float32(old / s.HighFreqFactor)
	lowF, span := float32(s.LowFreqFactor), float32(s.HighFreqFactor-s.LowFreqFactor)
	for i, f := range inv {
		wavelen := float32(2*math.Pi) / f
		scaled := f
		if wavelen > lowWavelen {
			scaled = f / factor
		}
		if wavelen >= highWavelen && wavelen <= lowWavelen {
			smooth := (float32(float32(old)/wavelen) - lowF) / span
			scaled = float32(float32(float32(1-smooth)*scaled)/factor) + float32(smooth*scaled)
		}
		inv[i] = scaled
	}
}
