package main

import (
	"fmt"
	"sort"
	"strings"
)

// Arch is a Hugging Face model_type the tool can write.
type Arch string

// The architectures randmodel knows.
const (
	ArchQwen2 Arch = "qwen2"
	ArchLlama Arch = "llama"
	ArchBERT  Arch = "bert"
	ArchGPT2  Arch = "gpt2"
)

// Preset is the shape of one model: everything config.json needs.
type Preset struct {
	// Name is how -preset selects it.
	Name string
	// Arch is the model_type.
	Arch Arch
	// Hidden, Layers, Heads, KVHeads, FFN and Vocab are the dimensions.
	Hidden, Layers, Heads, KVHeads, FFN, Vocab int
	// MaxPositions is max_position_embeddings.
	MaxPositions int
	// Tied says whether the LM head shares the embedding matrix.
	Tied bool
	// RopeTheta and NormEps are rope_theta and the norm's epsilon.
	RopeTheta, NormEps float64
	// BOS and EOS are the special token ids (decoders).
	BOS, EOS int
	// Like names the real model whose shapes these are.
	Like string
}

// presets are the shapes the benchmarks use, taken from the real models'
// config.json files, plus tiny ones for tests.
var presets = []Preset{
	{Name: "qwen2.5-0.5b", Arch: ArchQwen2, Hidden: 896, Layers: 24, Heads: 14, KVHeads: 2, FFN: 4864, Vocab: 151936,
		MaxPositions: 32768, Tied: true, RopeTheta: 1e6, NormEps: 1e-6, BOS: 151643, EOS: 151645, Like: "Qwen/Qwen2.5-0.5B-Instruct"},
	{Name: "tinyllama-1.1b", Arch: ArchLlama, Hidden: 2048, Layers: 22, Heads: 32, KVHeads: 4, FFN: 5632, Vocab: 32000,
		MaxPositions: 2048, RopeTheta: 1e4, NormEps: 1e-5, BOS: 1, EOS: 2, Like: "TinyLlama/TinyLlama-1.1B-Chat-v1.0"},
	{Name: "gpt2-124m", Arch: ArchGPT2, Hidden: 768, Layers: 12, Heads: 12, KVHeads: 12, FFN: 3072, Vocab: 50257,
		MaxPositions: 1024, Tied: true, NormEps: 1e-5, BOS: 50256, EOS: 50256, Like: "openai-community/gpt2"},
	{Name: "minilm-l6", Arch: ArchBERT, Hidden: 384, Layers: 6, Heads: 12, FFN: 1536, Vocab: 30522,
		MaxPositions: 512, NormEps: 1e-12, Like: "sentence-transformers/all-MiniLM-L6-v2"},
	{Name: "bert-base", Arch: ArchBERT, Hidden: 768, Layers: 12, Heads: 12, FFN: 3072, Vocab: 30522,
		MaxPositions: 512, NormEps: 1e-12, Like: "google-bert/bert-base-uncased"},
	{Name: "tiny-qwen2", Arch: ArchQwen2, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 160, Vocab: 512,
		MaxPositions: 256, Tied: true, RopeTheta: 1e6, NormEps: 1e-6, BOS: 509, EOS: 511, Like: "test shape"},
	{Name: "tiny-llama", Arch: ArchLlama, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 176, Vocab: 512,
		MaxPositions: 256, RopeTheta: 1e4, NormEps: 1e-5, BOS: 1, EOS: 2, Like: "test shape"},
	{Name: "tiny-gpt2", Arch: ArchGPT2, Hidden: 64, Layers: 2, Heads: 4, KVHeads: 4, FFN: 256, Vocab: 500,
		MaxPositions: 128, Tied: true, NormEps: 1e-5, BOS: 499, EOS: 499, Like: "test shape"},
	{Name: "tiny-bert", Arch: ArchBERT, Hidden: 64, Layers: 2, Heads: 4, FFN: 128, Vocab: 400,
		MaxPositions: 128, NormEps: 1e-12, Like: "test shape"},
}

// findPreset returns the preset called name; arch, when not empty, must
// match it.
func findPreset(name string, arch Arch) (Preset, error) {
	for _, p := range presets {
		if p.Name == name {
			if arch != "" && arch != p.Arch {
				return Preset{}, fmt.Errorf("preset %s is a %s model, not %s", name, p.Arch, arch)
			}
			return p, nil
		}
	}
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	sort.Strings(names)
	return Preset{}, fmt.Errorf("unknown preset %q (known: %s)", name, strings.Join(names, ", "))
}

// HeadDim is the width of one attention head.
func (p Preset) HeadDim() int { return p.Hidden / p.Heads }

// validate rejects shapes no model could have.
func (p Preset) validate() error {
	if p.Hidden <= 0 || p.Layers <= 0 || p.Heads <= 0 || p.FFN <= 0 || p.Vocab <= 0 {
		return fmt.Errorf("preset %s: dimensions must be positive", p.Name)
	}
	if p.Hidden%p.Heads != 0 {
		return fmt.Errorf("preset %s: hidden %d not divisible by %d heads", p.Name, p.Hidden, p.Heads)
	}
	if p.Arch != ArchBERT && (p.KVHeads <= 0 || p.Heads%p.KVHeads != 0) {
		return fmt.Errorf("preset %s: %d heads not divisible by %d KV heads", p.Name, p.Heads, p.KVHeads)
	}
	return nil
}
