package main

import (
	"fmt"
	"sort"
)

// A special token of a stand-in tokenizer.
type special struct {
	id      int
	content string
}

// decoderSpecials are the special tokens a decoder preset's tokenizer
// carries, at the ids its config.json names.
func decoderSpecials(p Preset) []special {
	if p.Arch == ArchQwen2 {
		s := []special{{p.BOS, "<|endoftext|>"}}
		if p.EOS != p.BOS {
			s = append(s, special{p.EOS, "<|im_end|>"})
			if p.EOS-p.BOS == 2 {
				s = append(s, special{p.BOS + 1, "<|im_start|>"})
			}
		}
		return s
	}
	if p.Arch == ArchGPT2 {
		return []special{{p.EOS, "<|endoftext|>"}}
	}
	return []special{{p.BOS, "<s>"}, {p.EOS, "</s>"}}
}

// byteUnicode is GPT-2's bytes_to_unicode: printable Latin-1 bytes stand
// for themselves, the others are shifted past U+0100, so every byte has a
// visible one-character token.
func byteUnicode() [256]rune {
	var m [256]rune
	n := 0
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff) {
			m[b] = rune(b)
		} else {
			m[b] = rune(256 + n)
			n++
		}
	}
	return m
}

// addedToken is one entry of tokenizer.json's added_tokens.
func addedToken(id int, content string) map[string]any {
	return map[string]any{"id": id, "content": content, "single_word": false, "lstrip": false,
		"rstrip": false, "normalized": false, "special": true}
}

// decoderTokenizer is a byte-level BPE tokenizer without merges: every
// byte is one token, placed at the lowest ids the special tokens leave
// free. Text round-trips through it exactly.
func decoderTokenizer(p Preset) (tok, cfg map[string]any, err error) {
	specials := decoderSpecials(p)
	taken := map[int]bool{}
	var added []any
	sort.Slice(specials, func(i, j int) bool { return specials[i].id < specials[j].id })
	for _, s := range specials {
		if s.id < 0 || s.id >= p.Vocab {
			return nil, nil, fmt.Errorf("special token %s id %d outside vocab %d", s.content, s.id, p.Vocab)
		}
		taken[s.id] = true
		added = append(added, addedToken(s.id, s.content))
	}
	if p.Vocab < 256+len(specials) {
		return nil, nil, fmt.Errorf("vocab %d too small for 256 byte tokens", p.Vocab)
	}
	vocab := map[string]int{}
	id := 0
	for _, r := range byteUnicode() {
		for taken[id] {
			id++
		}
		vocab[string(r)] = id
		id++
	}
	byteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
	tok = map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens":   added,
		"normalizer":     nil,
		"pre_tokenizer":  byteLevel,
		"post_processor": nil,
		"decoder":        byteLevel,
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil,
			"continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": false,
			"byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": []string{}},
	}
	cfg = map[string]any{
		"tokenizer_class":  "PreTrainedTokenizerFast",
		"model_max_length": p.MaxPositions,
		"bos_token":        specialContent(specials, p.BOS),
		"eos_token":        specialContent(specials, p.EOS),
		"pad_token":        specialContent(specials, p.EOS),
		"chat_template":    chatTemplate(p),
	}
	return tok, cfg, nil
}

// specialContent is the text of the special token with the given id.
func specialContent(s []special, id int) string {
	for _, t := range s {
		if t.id == id {
			return t.content
		}
	}
	return ""
}

// chatTemplate is ChatML where the tokenizer has its markers (Qwen2), and
// a plain "role: content" transcript otherwise.
func chatTemplate(p Preset) string {
	if p.Arch == ArchQwen2 && p.EOS-p.BOS == 2 {
		return "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
	}
	return "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}"
}

// bertSpecials are BERT's special tokens at the first ids.
var bertSpecials = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

// bertTokenizer is an uncased character WordPiece: the special tokens,
// then every printable ASCII character except upper-case letters, alone
// and as a "##" continuation.
func bertTokenizer(p Preset) (tok, cfg map[string]any, err error) {
	vocab := map[string]int{}
	var added []any
	for i, s := range bertSpecials {
		vocab[s] = i
		added = append(added, addedToken(i, s))
	}
	for c := '!'; c <= '~'; c++ {
		if c >= 'A' && c <= 'Z' {
			continue
		}
		vocab[string(c)] = len(vocab)
		vocab["##"+string(c)] = len(vocab)
	}
	if len(vocab) > p.Vocab {
		return nil, nil, fmt.Errorf("vocab %d too small for %d WordPiece tokens", p.Vocab, len(vocab))
	}
	cls := map[string]any{"SpecialToken": map[string]any{"id": "[CLS]", "type_id": 0}}
	sep := func(t int) any { return map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": t}} }
	seq := func(id string, t int) any { return map[string]any{"Sequence": map[string]any{"id": id, "type_id": t}} }
	tok = map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens": added,
		"normalizer": map[string]any{"type": "BertNormalizer", "clean_text": true,
			"handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer": map[string]any{"type": "BertPreTokenizer"},
		"post_processor": map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{cls, seq("A", 0), sep(0)},
			"pair":   []any{cls, seq("A", 0), sep(0), seq("B", 1), sep(1)},
			"special_tokens": map[string]any{
				"[CLS]": map[string]any{"id": "[CLS]", "ids": []int{2}, "tokens": []string{"[CLS]"}},
				"[SEP]": map[string]any{"id": "[SEP]", "ids": []int{3}, "tokens": []string{"[SEP]"}},
			},
		},
		"decoder": map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model": map[string]any{"type": "WordPiece", "unk_token": "[UNK]",
			"continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
	}
	cfg = map[string]any{
		"tokenizer_class": "BertTokenizerFast", "do_lower_case": true,
		"model_max_length": p.MaxPositions,
		"cls_token":        "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
		"unk_token": "[UNK]", "mask_token": "[MASK]",
	}
	return tok, cfg, nil
}
