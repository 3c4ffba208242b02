package main

import "fmt"

// initKind says how a tensor's values are drawn.
type initKind uint8

const (
	initNormal initKind = iota // N(0, 0.02²): linear and embedding weights
	initOnes                   // norm weights
	initZeros                  // LayerNorm and dense biases
)

// initStd is Hugging Face's initializer_range, the standard deviation of
// every random weight.
const initStd = 0.02

// tensorSpec is one tensor of the checkpoint.
type tensorSpec struct {
	name  string
	shape []int
	init  initKind
}

// numel is the number of elements of t.
func (t tensorSpec) numel() int64 {
	n := int64(1)
	for _, d := range t.shape {
		n *= int64(d)
	}
	return n
}

// tensorSpecs lists p's tensors with the names and shapes transformers'
// modeling code gives them (weights [out, in], as nn.Linear stores them).
func tensorSpecs(p Preset) ([]tensorSpec, error) {
	switch p.Arch {
	case ArchQwen2, ArchLlama:
		return decoderSpecs(p), nil
	case ArchBERT:
		return bertSpecs(p), nil
	case ArchGPT2:
		return gpt2Specs(p), nil
	}
	return nil, fmt.Errorf("unsupported architecture %q", p.Arch)
}

// decoderSpecs is LlamaForCausalLM / Qwen2ForCausalLM; Qwen2 adds biases
// to q, k and v.
func decoderSpecs(p Preset) []tensorSpec {
	h, ff, kv := p.Hidden, p.FFN, p.KVHeads*p.HeadDim()
	s := []tensorSpec{
		{"model.embed_tokens.weight", []int{p.Vocab, h}, initNormal},
		{"model.norm.weight", []int{h}, initOnes},
	}
	if !p.Tied {
		s = append(s, tensorSpec{"lm_head.weight", []int{p.Vocab, h}, initNormal})
	}
	for i := range p.Layers {
		l := fmt.Sprintf("model.layers.%d.", i)
		s = append(s,
			tensorSpec{l + "input_layernorm.weight", []int{h}, initOnes},
			tensorSpec{l + "post_attention_layernorm.weight", []int{h}, initOnes},
			tensorSpec{l + "self_attn.q_proj.weight", []int{h, h}, initNormal},
			tensorSpec{l + "self_attn.k_proj.weight", []int{kv, h}, initNormal},
			tensorSpec{l + "self_attn.v_proj.weight", []int{kv, h}, initNormal},
			tensorSpec{l + "self_attn.o_proj.weight", []int{h, h}, initNormal},
			tensorSpec{l + "mlp.gate_proj.weight", []int{ff, h}, initNormal},
			tensorSpec{l + "mlp.up_proj.weight", []int{ff, h}, initNormal},
			tensorSpec{l + "mlp.down_proj.weight", []int{h, ff}, initNormal},
		)
		if p.Arch == ArchQwen2 {
			s = append(s,
				tensorSpec{l + "self_attn.q_proj.bias", []int{h}, initNormal},
				tensorSpec{l + "self_attn.k_proj.bias", []int{kv}, initNormal},
				tensorSpec{l + "self_attn.v_proj.bias", []int{kv}, initNormal},
			)
		}
	}
	return s
}

// bertSpecs is BertModel with its pooler, the layout sentence-transformers
// checkpoints such as all-MiniLM-L6-v2 ship.
func bertSpecs(p Preset) []tensorSpec {
	h, ff := p.Hidden, p.FFN
	s := []tensorSpec{
		{"embeddings.word_embeddings.weight", []int{p.Vocab, h}, initNormal},
		{"embeddings.position_embeddings.weight", []int{p.MaxPositions, h}, initNormal},
		{"embeddings.token_type_embeddings.weight", []int{2, h}, initNormal},
		{"embeddings.LayerNorm.weight", []int{h}, initOnes},
		{"embeddings.LayerNorm.bias", []int{h}, initZeros},
		{"pooler.dense.weight", []int{h, h}, initNormal},
		{"pooler.dense.bias", []int{h}, initZeros},
	}
	for i := range p.Layers {
		l := fmt.Sprintf("encoder.layer.%d.", i)
		for _, lin := range []struct {
			name    string
			out, in int
		}{
			{"attention.self.query", h, h},
			{"attention.self.key", h, h},
			{"attention.self.value", h, h},
			{"attention.output.dense", h, h},
			{"intermediate.dense", ff, h},
			{"output.dense", h, ff},
		} {
			s = append(s,
				tensorSpec{l + lin.name + ".weight", []int{lin.out, lin.in}, initNormal},
				tensorSpec{l + lin.name + ".bias", []int{lin.out}, initZeros},
			)
		}
		for _, ln := range []string{"attention.output.LayerNorm", "output.LayerNorm"} {
			s = append(s,
				tensorSpec{l + ln + ".weight", []int{h}, initOnes},
				tensorSpec{l + ln + ".bias", []int{h}, initZeros},
			)
		}
	}
	return s
}

// gpt2Specs is GPT2LMHeadModel: Conv1D layers store their weights [in, out]
// (the transpose of nn.Linear), q/k/v fused in c_attn, learned positions,
// the LM head tied to wte.
func gpt2Specs(p Preset) []tensorSpec {
	h, ff := p.Hidden, p.FFN
	s := []tensorSpec{
		{"transformer.wte.weight", []int{p.Vocab, h}, initNormal},
		{"transformer.wpe.weight", []int{p.MaxPositions, h}, initNormal},
		{"transformer.ln_f.weight", []int{h}, initOnes},
		{"transformer.ln_f.bias", []int{h}, initZeros},
	}
	for i := range p.Layers {
		l := fmt.Sprintf("transformer.h.%d.", i)
		s = append(s,
			tensorSpec{l + "ln_1.weight", []int{h}, initOnes},
			tensorSpec{l + "ln_1.bias", []int{h}, initZeros},
			tensorSpec{l + "ln_2.weight", []int{h}, initOnes},
			tensorSpec{l + "ln_2.bias", []int{h}, initZeros},
			tensorSpec{l + "attn.c_attn.weight", []int{h, 3 * h}, initNormal},
			tensorSpec{l + "attn.c_attn.bias", []int{3 * h}, initZeros},
			tensorSpec{l + "attn.c_proj.weight", []int{h, h}, initNormal},
			tensorSpec{l + "attn.c_proj.bias", []int{h}, initZeros},
			tensorSpec{l + "mlp.c_fc.weight", []int{h, ff}, initNormal},
			tensorSpec{l + "mlp.c_fc.bias", []int{ff}, initZeros},
			tensorSpec{l + "mlp.c_proj.weight", []int{ff, h}, initNormal},
			tensorSpec{l + "mlp.c_proj.bias", []int{h}, initZeros},
		)
	}
	return s
}
