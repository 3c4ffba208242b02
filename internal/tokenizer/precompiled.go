package tokenizer

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// precompiled is SentencePiece's precompiled_charsmap normalizer (the one
// T5, XLM-R, mBART, ALBERT... tokenizer.json files carry), with the
// semantics of the Rust `spm_precompiled` crate as the `tokenizers` library
// drives it.
//
// The charsmap is base64 of: a little-endian u32 byte size of the trie, the
// trie (a Darts-clone double array of u32 units), then a blob of
// NUL-terminated replacement strings the trie's values point into.
type precompiled struct {
	trie       []uint32
	normalized string
}

// newPrecompiled decodes and checks a precompiled_charsmap.
func newPrecompiled(charsmap string) (normalizer, error) {
	raw, err := base64.StdEncoding.DecodeString(charsmap)
	if err != nil {
		return nil, fmt.Errorf("normalizer Precompiled: precompiled_charsmap is not base64: %w", err)
	}
	p, err := parsePrecompiled(raw)
	if err != nil {
		return nil, fmt.Errorf("normalizer Precompiled: %w", err)
	}
	return p, nil
}

func parsePrecompiled(raw []byte) (*precompiled, error) {
	if len(raw) < 4 {
		return nil, errors.New("charsmap shorter than its 4-byte header")
	}
	trieBytes := uint64(binary.LittleEndian.Uint32(raw)) / 4 * 4
	if trieBytes > uint64(len(raw)-4) {
		return nil, fmt.Errorf("charsmap trie of %d bytes does not fit in %d bytes", trieBytes, len(raw)-4)
	}
	p := &precompiled{trie: make([]uint32, trieBytes/4)}
	for i := range p.trie {
		p.trie[i] = binary.LittleEndian.Uint32(raw[4+4*i:])
	}
	blob := raw[4+trieBytes:]
	if !utf8.Valid(blob) {
		return nil, errors.New("charsmap replacement strings are not valid UTF-8")
	}
	p.normalized = string(blob)
	return p, nil
}

// Darts-clone unit layout.
func unitHasLeaf(u uint32) bool  { return (u>>8)&1 == 1 }
func unitValue(u uint32) uint32  { return u & (1<<31 - 1) }
func unitLabel(u uint32) uint32  { return u & (1<<31 | 0xFF) }
func unitOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// firstPrefixValue is the value of the shortest key that is a prefix of key
// (the first result of Darts' commonPrefixSearch), which is what the Rust
// code uses. A NUL byte ends the key. A malformed trie (an index out of
// range, where the Rust code would panic) just ends the search.
func (p *precompiled) firstPrefixValue(key string) (uint32, bool) {
	if len(p.trie) == 0 {
		return 0, false
	}
	pos := unitOffset(p.trie[0])
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == 0 {
			break
		}
		pos ^= uint32(c)
		if int(pos) >= len(p.trie) {
			return 0, false
		}
		u := p.trie[pos]
		if unitLabel(u) != uint32(c) {
			return 0, false
		}
		pos ^= unitOffset(u)
		if unitHasLeaf(u) {
			if int(pos) >= len(p.trie) {
				return 0, false
			}
			return unitValue(p.trie[pos]), true
		}
	}
	return 0, false
}

// transform is the replacement for chunk, or false when the trie has no key
// that is a prefix of it. Note that a match of only a prefix replaces the
// whole chunk: the Rust library does exactly this.
func (p *precompiled) transform(chunk string) (string, bool) {
	v, ok := p.firstPrefixValue(chunk)
	if !ok || int(v) > len(p.normalized) {
		return "", false
	}
	rest := p.normalized[v:]
	end := len(rest)
	for i := 0; i < len(rest); i++ {
		if rest[i] == 0 {
			end = i
			break
		}
	}
	s := rest[:end]
	// A value pointing inside a UTF-8 sequence would be a Rust panic.
	if !utf8.ValidString(s) {
		return "", false
	}
	return s, true
}

// normalize mirrors the Rust normalizer: each extended grapheme cluster
// shorter than 6 bytes is looked up whole; otherwise (or when that finds
// nothing) each of its characters is looked up alone. The 6-byte limit and
// the whole-cluster replacement look odd but decide real token ids
// (halfwidth ｶﾞ, 6 bytes, becomes カ + U+3099, not ガ), so they are kept.
func (p *precompiled) normalize(n *normalized) error {
	text := n.text
	dest := make([]change, 0, len(text))
	modified := false
	state := -1
	for rest := text; len(rest) > 0; {
		var g string
		g, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if len(g) < 6 {
			if norm, ok := p.transform(g); ok {
				modified = true
				dest = appendReplace(dest, g, norm)
				continue
			}
		}
		for i := 0; i < len(g); {
			c, size := utf8.DecodeRuneInString(g[i:])
			part := g[i : i+size]
			i += size
			if norm, ok := p.transform(part); ok {
				modified = true
				dest = appendReplace(dest, part, norm)
			} else {
				dest = append(dest, change{c, 0})
			}
		}
	}
	if modified {
		n.transform(dest, 0)
	}
	return nil
}

// appendReplace records old → new as the Rust `replace` helper does: the new
// characters replace old ones one for one, extra new characters are
// insertions, and missing ones are removals charged to the last change so
// far (which may belong to an earlier replacement when new is empty).
func appendReplace(dest []change, old, new string) []change {
	start := len(dest)
	for _, c := range new {
		dest = append(dest, change{c, 0})
	}
	diff := utf8.RuneCountInString(new) - utf8.RuneCountInString(old)
	switch {
	case diff > 0:
		for i := len(dest) - 1; i >= start && i >= len(dest)-diff; i-- {
			dest[i].delta = 1
		}
	case diff < 0 && len(dest) > 0:
		dest[len(dest)-1].delta += diff
	}
	return dest
}
