// Package tokenizer implements Hugging Face tokenizer.json pipelines in pure Go,
// with the semantics of the Rust `tokenizers` library (v0.22): the same ids,
// tokens, offsets and decoded text for the same file and input.
//
// The pipeline for one input sequence is the Rust one:
//
//  1. added tokens (special or not) are split off the raw text, first those
//     matched on the raw text (normalized: false), then, after normalizing the
//     remaining pieces, those matched on the normalized text;
//  2. the normalizer has run on every piece that is not an added token;
//  3. the pre-tokenizer splits pieces further;
//  4. the model (BPE, WordPiece, Unigram, WordLevel) turns each piece into tokens;
//  5. truncation, the post-processor (special tokens, type ids) and padding.
//
// Every normalized piece keeps, for each of its bytes, the span of the
// original text it came from, so offsets point into the caller's string.
// Encoding.Offsets are character (Unicode scalar value) offsets, exactly what
// the Python and Node bindings report; Encoding.ByteOffsets are byte offsets.
//
// Every normalizer, pre-tokenizer, model, post-processor and decoder of
// tokenizer.json is implemented, Precompiled included (SentencePiece's
// precompiled_charsmap, with the Rust library's grapheme-cluster rules).
// Common pipelines have raw-byte fast paths (byte-level BPE, BERT
// WordPiece) that give exactly the general pipeline's results.
//
// LoadDir loads a model folder as transformers does: tokenizer.json (or
// tokenizer.json.gz) with the Config of tokenizer_config.json (special
// tokens, add_bos_token/add_eos_token, model_max_length, clean-up, chat
// templates) and generation_config.json (eos_token_id).
//
// Loading is strict: a component type this package does not implement is an
// error that names it, never silently ignored. Bad input (invalid JSON,
// inconsistent vocabularies, invalid UTF-8 text) yields errors, never panics,
// and encoding time stays linear in the input (1 MB texts, 100k tokens).
// A Tokenizer is immutable after loading and safe for concurrent use.
package tokenizer
