//go:build peers

// Command ortbench times ONNX Runtime on internal/bench's encoder workload
// (EncodeBatch padded sentences, one run per repetition) for an ONNX export
// of the same random-weight BERT that hfserve runs (tools/peers/torch_bert.py
// --export). It is a peer yardstick: built only with -tags peers, because it
// needs cgo and libonnxruntime.so from the npm package onnxruntime-node.
//
// usage: go run -tags peers ./tools/peers/ortbench -lib libonnxruntime.so.1 -model m.onnx -vocab 30522 -threads 2 -reps 5
//
// It prints one JSON line like tools/peers/llamabench.c.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"hfserve/internal/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ortbench:", err)
		os.Exit(1)
	}
}

func run() error {
	lib := flag.String("lib", "", "path to libonnxruntime.so")
	model := flag.String("model", "", "ONNX model (inputs input_ids, attention_mask, token_type_ids)")
	vocab := flag.Int("vocab", 30522, "vocabulary size, for the token ids")
	hidden := flag.Int("hidden", 384, "hidden size, for the output shape")
	threads := flag.Int("threads", 2, "intra-op threads")
	reps := flag.Int("reps", 5, "timed repetitions")
	lone := flag.Bool("lone", false, "encode the batch's first sentence alone, unpadded (one request's latency; test encode1)")
	flag.Parse()
	if *lib == "" || *model == "" {
		return fmt.Errorf("-lib and -model are required")
	}
	ort.SetSharedLibraryPath(*lib)
	if err := ort.InitializeEnvironment(); err != nil {
		return fmt.Errorf("initialize %s: %w", *lib, err)
	}
	defer ort.DestroyEnvironment()

	ids, mask := bench.EncodeInputs(*vocab)
	if *lone {
		n := 0
		for n < len(mask[0]) && mask[0][n] == 1 {
			n++
		}
		ids, mask = [][]int32{ids[0][:n]}, [][]int32{mask[0][:n]}
	}
	b, t := int64(len(ids)), int64(len(ids[0]))
	var idv, maskv, ttv []int64
	for i := range ids {
		for j := range ids[i] {
			idv = append(idv, int64(ids[i][j]))
			maskv = append(maskv, int64(mask[i][j]))
			ttv = append(ttv, 0)
		}
	}
	shape := ort.NewShape(b, t)
	in1, err := ort.NewTensor(shape, idv)
	if err != nil {
		return err
	}
	defer in1.Destroy()
	in2, err := ort.NewTensor(shape, maskv)
	if err != nil {
		return err
	}
	defer in2.Destroy()
	in3, err := ort.NewTensor(shape, ttv)
	if err != nil {
		return err
	}
	defer in3.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(b, t, int64(*hidden)))
	if err != nil {
		return err
	}
	defer out.Destroy()

	opts, err := ort.NewSessionOptions()
	if err != nil {
		return err
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(*threads); err != nil {
		return err
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return err
	}
	sess, err := ort.NewAdvancedSession(*model, []string{"input_ids", "attention_mask", "token_type_ids"},
		[]string{"last_hidden_state"}, []ort.Value{in1, in2, in3}, []ort.Value{out}, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	defer sess.Destroy()
	fmt.Fprintf(os.Stderr, "ortbench: onnxruntime %s, %d intra-op threads\n", ort.GetVersion(), *threads)

	var secs []float64
	for r := -1; r < *reps; r++ {
		start := time.Now()
		if err := sess.Run(); err != nil {
			return err
		}
		if r >= 0 {
			secs = append(secs, time.Since(start).Seconds())
		}
	}
	for _, v := range out.GetData() {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("non-finite output")
		}
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"peer": "onnxruntime", "test": fmt.Sprintf("encode%d", b), "threads": *threads,
		"tokens": b, "seconds": secs,
	})
}
