package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "randmodel:", err)
		os.Exit(1)
	}
}

// run parses the command line and writes the model folder.
func run(args []string) error {
	fs := flag.NewFlagSet("randmodel", flag.ContinueOnError)
	arch := fs.String("arch", "", "model_type the preset must have (optional check)")
	preset := fs.String("preset", "", "model shape to write (see -list)")
	dtype := fs.String("dtype", "f32", "weight dtype: f32, bf16 or f16")
	seed := fs.Uint64("seed", 1, "random seed; the same seed writes the same bytes")
	out := fs.String("out", "", "output folder (created if missing)")
	list := fs.Bool("list", false, "list the presets and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *list {
		return listPresets()
	}
	if *preset == "" || *out == "" {
		return fmt.Errorf("-preset and -out are required (see -list)")
	}
	p, err := findPreset(*preset, Arch(*arch))
	if err != nil {
		return err
	}
	d, err := parseDType(*dtype)
	if err != nil {
		return err
	}
	return Write(*out, p, d, *seed)
}

// listPresets prints the presets as a table.
func listPresets() error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PRESET\tARCH\tHIDDEN\tLAYERS\tHEADS\tKV\tFFN\tVOCAB\tPARAMS\tSHAPE OF")
	for _, p := range presets {
		specs, err := tensorSpecs(p)
		if err != nil {
			return err
		}
		var n int64
		for _, s := range specs {
			n += s.numel()
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1fM\t%s\n", p.Name, p.Arch, p.Hidden, p.Layers,
			p.Heads, p.KVHeads, p.FFN, p.Vocab, float64(n)/1e6, p.Like)
	}
	return w.Flush()
}

// Write writes the model folder for p in dtype d to dir.
func Write(dir string, p Preset, d DType, seed uint64) error {
	if err := p.validate(); err != nil {
		return err
	}
	specs, err := tensorSpecs(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("randmodel: %w", err)
	}
	if err := writeJSON(dir, "config.json", configJSON(p, d)); err != nil {
		return err
	}
	var tok, tcfg map[string]any
	if p.Arch == ArchBERT {
		tok, tcfg, err = bertTokenizer(p)
	} else {
		tok, tcfg, err = decoderTokenizer(p)
		if err == nil {
			err = writeJSON(dir, "generation_config.json", map[string]any{
				"bos_token_id": p.BOS, "eos_token_id": p.EOS, "do_sample": false})
		}
	}
	if err != nil {
		return fmt.Errorf("preset %s: tokenizer: %w", p.Name, err)
	}
	if err := writeJSON(dir, "tokenizer.json", tok); err != nil {
		return err
	}
	if err := writeJSON(dir, "tokenizer_config.json", tcfg); err != nil {
		return err
	}
	return writeSafetensors(filepath.Join(dir, "model.safetensors"), specs, d, seed)
}
