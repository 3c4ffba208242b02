package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// postProcessor adds special tokens and sets type ids (the Rust
// process_encodings step; merging is done by the caller).
type postProcessor interface {
	addedTokens(isPair bool) int
	processEncodings(encs []*Encoding, addSpecial bool) ([]*Encoding, error)
}

func parsePostProcessor(raw json.RawMessage) (postProcessor, error) {
	typ, err := typeOf(raw)
	if err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	switch typ {
	case "ByteLevel":
		var c struct {
			AddPrefixSpace *bool `json:"add_prefix_space"`
			TrimOffsets    *bool `json:"trim_offsets"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("post_processor ByteLevel: %w", err)
		}
		return byteLevelPost{addPrefixSpace: boolOr(c.AddPrefixSpace, true), trimOffsets: boolOr(c.TrimOffsets, true)}, nil
	case "BertProcessing", "RobertaProcessing":
		var c struct {
			Sep            []json.RawMessage `json:"sep"`
			Cls            []json.RawMessage `json:"cls"`
			TrimOffsets    *bool             `json:"trim_offsets"`
			AddPrefixSpace *bool             `json:"add_prefix_space"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("post_processor %s: %w", typ, err)
		}
		p := &bertPost{roberta: typ == "RobertaProcessing", trimOffsets: boolOr(c.TrimOffsets, true),
			addPrefixSpace: boolOr(c.AddPrefixSpace, true)}
		if p.sep, p.sepID, err = parseTokenPair(c.Sep, "[SEP]", 102); err != nil {
			return nil, fmt.Errorf("post_processor %s: sep: %w", typ, err)
		}
		if p.cls, p.clsID, err = parseTokenPair(c.Cls, "[CLS]", 101); err != nil {
			return nil, fmt.Errorf("post_processor %s: cls: %w", typ, err)
		}
		if p.roberta && c.Sep == nil && c.Cls == nil {
			p.sep, p.sepID, p.cls, p.clsID = "</s>", 2, "<s>", 0
		}
		return p, nil
	case "TemplateProcessing":
		return parseTemplate(raw)
	case "Sequence":
		var c struct {
			Processors []json.RawMessage `json:"processors"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("post_processor Sequence: %w", err)
		}
		seq := make(sequencePost, 0, len(c.Processors))
		for i, r := range c.Processors {
			p, err := parsePostProcessor(r)
			if err != nil {
				return nil, fmt.Errorf("post_processor Sequence[%d]: %w", i, err)
			}
			seq = append(seq, p)
		}
		return seq, nil
	}
	return nil, fmt.Errorf("unsupported post_processor type %q", typ)
}

// parseTokenPair reads ["[SEP]", 102].
func parseTokenPair(raw []json.RawMessage, defTok string, defID int32) (string, int32, error) {
	if raw == nil {
		return defTok, defID, nil
	}
	if len(raw) != 2 {
		return "", 0, fmt.Errorf("must be [token, id]")
	}
	var tok string
	var id int64
	if err := json.Unmarshal(raw[0], &tok); err != nil {
		return "", 0, err
	}
	if err := json.Unmarshal(raw[1], &id); err != nil {
		return "", 0, err
	}
	if id < 0 || id > 1<<31-1 {
		return "", 0, fmt.Errorf("id %d out of range", id)
	}
	return tok, int32(id), nil
}

type sequencePost []postProcessor

func (s sequencePost) addedTokens(isPair bool) int {
	n := 0
	for _, p := range s {
		n += p.addedTokens(isPair)
	}
	return n
}

func (s sequencePost) processEncodings(encs []*Encoding, addSpecial bool) ([]*Encoding, error) {
	var err error
	for _, p := range s {
		if encs, err = p.processEncodings(encs, addSpecial); err != nil {
			return nil, err
		}
	}
	return encs, nil
}

// byteLevelPost trims the whitespace that byte-level tokens carry out of
// their offsets.
type byteLevelPost struct{ addPrefixSpace, trimOffsets bool }

func (byteLevelPost) addedTokens(bool) int { return 0 }

func (b byteLevelPost) processEncodings(encs []*Encoding, _ bool) ([]*Encoding, error) {
	if b.trimOffsets {
		for _, e := range encs {
			trimOffsets(e, b.addPrefixSpace)
		}
	}
	return encs, nil
}

// trimOffsets is the Rust byte-level process_offsets: leading and trailing
// spaces (Ġ or whitespace) of each token are cut from its offsets.
func trimOffsets(e *Encoding, addPrefixSpace bool) {
	isSpace := func(c rune) bool { return c == 'Ġ' || unicode.IsSpace(c) }
	for i, tok := range e.Tokens {
		lead, trail := 0, 0
		runes := []rune(tok)
		for lead < len(runes) && isSpace(runes[lead]) {
			lead++
		}
		for trail < len(runes) && isSpace(runes[len(runes)-1-trail]) {
			trail++
		}
		if lead == 0 && trail == 0 {
			continue
		}
		for _, offs := range [][][2]int{e.Offsets, e.ByteOffsets} {
			o := &offs[i]
			l := lead
			if l > 0 {
				isFirst := i == 0 || o[0] == 0
				if isFirst && addPrefixSpace && l == 1 {
					l = 0
				}
				o[0] = min(o[0]+l, o[1])
			}
			if trail > 0 && o[1] >= trail {
				o[1] = max(o[1]-trail, o[0])
			}
		}
	}
	for _, o := range e.Overflowing {
		trimOffsets(o, addPrefixSpace)
	}
}

// bertPost is BertProcessing ([CLS] A [SEP] B [SEP]) and RobertaProcessing
// (<s> A </s></s> B </s>, type ids all 0, optional offset trimming).
type bertPost struct {
	roberta                     bool
	sep, cls                    string
	sepID, clsID                int32
	trimOffsets, addPrefixSpace bool
}

func (b *bertPost) addedTokens(isPair bool) int {
	switch {
	case !isPair:
		return 2
	case b.roberta:
		return 4
	}
	return 3
}

func (b *bertPost) processEncodings(encs []*Encoding, addSpecial bool) ([]*Encoding, error) {
	if b.roberta {
		if b.trimOffsets {
			for _, e := range encs {
				trimOffsets(e, b.addPrefixSpace)
			}
		}
		for _, e := range encs {
			e.setTypeIDs(0)
		}
	}
	if !addSpecial {
		return encs, nil
	}
	out := make([]*Encoding, len(encs))
	for i, e := range encs {
		out[i] = b.wrap(i, e)
	}
	return out, nil
}

func (b *bertPost) wrap(i int, e *Encoding) *Encoding {
	n := &Encoding{}
	typeID := int32(0)
	if i == 0 {
		n.appendToken(b.clsID, b.cls, [2]int{}, [2]int{}, 0, -1, -1, 1)
	} else {
		if !b.roberta {
			typeID = 1
		}
		if b.roberta {
			n.appendToken(b.sepID, b.sep, [2]int{}, [2]int{}, 0, -1, -1, 1)
		}
	}
	body := e.clone()
	body.Overflowing = nil
	if !b.roberta {
		body.setTypeIDs(typeID)
	}
	n.appendEncoding(body)
	n.appendToken(b.sepID, b.sep, [2]int{}, [2]int{}, typeID, -1, -1, 1)
	for _, o := range e.Overflowing {
		n.Overflowing = append(n.Overflowing, b.wrap(i, o))
	}
	return n
}

// templatePiece is $A/$B (seq 0/1) or a special token, with its type id.
type templatePiece struct {
	seq     int // 0 or 1 for a sequence, -1 for a special token
	special string
	typeID  int32
}

type templateSpecial struct {
	ids    []int32
	tokens []string
}

// templatePost is TemplateProcessing.
type templatePost struct {
	single, pair []templatePiece
	specials     map[string]templateSpecial
}

func parseTemplate(raw json.RawMessage) (*templatePost, error) {
	var c struct {
		Single        json.RawMessage `json:"single"`
		Pair          json.RawMessage `json:"pair"`
		SpecialTokens map[string]struct {
			ID     string   `json:"id"`
			IDs    []int64  `json:"ids"`
			Tokens []string `json:"tokens"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("post_processor TemplateProcessing: %w", err)
	}
	t := &templatePost{specials: map[string]templateSpecial{}}
	for name, s := range c.SpecialTokens {
		if len(s.IDs) != len(s.Tokens) {
			return nil, fmt.Errorf("post_processor TemplateProcessing: special token %q: ids and tokens differ in length", name)
		}
		st := templateSpecial{tokens: s.Tokens}
		for _, id := range s.IDs {
			if id < 0 || id > 1<<31-1 {
				return nil, fmt.Errorf("post_processor TemplateProcessing: special token %q: id %d out of range", name, id)
			}
			st.ids = append(st.ids, int32(id))
		}
		t.specials[name] = st
	}
	var err error
	if t.single, err = parseTemplatePieces(c.Single); err != nil {
		return nil, fmt.Errorf("post_processor TemplateProcessing: single: %w", err)
	}
	if t.pair, err = parseTemplatePieces(c.Pair); err != nil {
		return nil, fmt.Errorf("post_processor TemplateProcessing: pair: %w", err)
	}
	for _, tpl := range [][]templatePiece{t.single, t.pair} {
		for _, p := range tpl {
			if p.seq < 0 {
				if _, ok := t.specials[p.special]; !ok {
					return nil, fmt.Errorf("post_processor TemplateProcessing: missing special token %q", p.special)
				}
			}
		}
	}
	return t, nil
}

// parseTemplatePieces reads the list form ({"Sequence": {...}} /
// {"SpecialToken": {...}}) or the string form ("[CLS] $A:0 [SEP]").
func parseTemplatePieces(raw json.RawMessage) ([]templatePiece, error) {
	if isNull(raw) {
		return nil, nil
	}
	var asString string
	if json.Unmarshal(raw, &asString) == nil {
		return parseTemplateString(strings.Fields(asString))
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	out := make([]templatePiece, 0, len(items))
	for i, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			p, err := parseTemplateString([]string{s})
			if err != nil {
				return nil, err
			}
			out = append(out, p...)
			continue
		}
		var c struct {
			Sequence *struct {
				ID     string `json:"id"`
				TypeID int32  `json:"type_id"`
			} `json:"Sequence"`
			SpecialToken *struct {
				ID     string `json:"id"`
				TypeID int32  `json:"type_id"`
			} `json:"SpecialToken"`
		}
		if err := json.Unmarshal(it, &c); err != nil {
			return nil, fmt.Errorf("piece %d: %w", i, err)
		}
		switch {
		case c.Sequence != nil && c.SpecialToken == nil:
			switch c.Sequence.ID {
			case "A":
				out = append(out, templatePiece{seq: 0, typeID: c.Sequence.TypeID})
			case "B":
				out = append(out, templatePiece{seq: 1, typeID: c.Sequence.TypeID})
			default:
				return nil, fmt.Errorf("piece %d: unknown sequence %q", i, c.Sequence.ID)
			}
		case c.SpecialToken != nil && c.Sequence == nil:
			out = append(out, templatePiece{seq: -1, special: c.SpecialToken.ID, typeID: c.SpecialToken.TypeID})
		default:
			return nil, fmt.Errorf("piece %d: must be {\"Sequence\": ...} or {\"SpecialToken\": ...}", i)
		}
	}
	return out, nil
}

// parseTemplateString reads pieces like "$A", "$B:1", "[SEP]:1".
func parseTemplateString(fields []string) ([]templatePiece, error) {
	out := make([]templatePiece, 0, len(fields))
	for _, f := range fields {
		name, typ := f, int32(0)
		if i := strings.LastIndexByte(f, ':'); i > 0 {
			var n int32
			if _, err := fmt.Sscanf(f[i+1:], "%d", &n); err == nil {
				name, typ = f[:i], n
			}
		}
		switch {
		case name == "$A" || name == "$":
			out = append(out, templatePiece{seq: 0, typeID: typ})
		case name == "$B":
			out = append(out, templatePiece{seq: 1, typeID: typ})
		case strings.HasPrefix(name, "$"):
			var n int32
			if _, err := fmt.Sscanf(name[1:], "%d", &n); err != nil {
				return nil, fmt.Errorf("invalid template piece %q", f)
			}
			out = append(out, templatePiece{seq: 0, typeID: n})
		default:
			out = append(out, templatePiece{seq: -1, special: name, typeID: typ})
		}
	}
	return out, nil
}

func (t *templatePost) addedTokens(isPair bool) int {
	tpl := t.single
	if isPair {
		tpl = t.pair
	}
	n := 0
	for _, p := range tpl {
		if p.seq < 0 {
			n += len(t.specials[p.special].ids)
		}
	}
	return n
}

func (t *templatePost) processEncodings(encs []*Encoding, addSpecial bool) ([]*Encoding, error) {
	tpl := t.single
	if len(encs) == 2 {
		tpl = t.pair
	}
	var out []*Encoding
	for _, p := range tpl {
		if p.seq >= 0 {
			if p.seq >= len(encs) {
				return nil, fmt.Errorf("template uses $B but there is no second sequence")
			}
			e := encs[p.seq]
			for i := range e.TypeIDs {
				e.TypeIDs[i] = p.typeID
			}
			out = append(out, e.clone())
			continue
		}
		if !addSpecial {
			continue
		}
		st := t.specials[p.special]
		e := &Encoding{}
		for i, id := range st.ids {
			e.appendToken(id, st.tokens[i], [2]int{}, [2]int{}, p.typeID, -1, -1, 1)
		}
		out = append(out, e)
	}
	return out, nil
}

// mergeEncodings concatenates encodings the way Rust's Encoding::merge does,
// combining overflowing parts.
func mergeEncodings(encs []*Encoding) *Encoding {
	res := &Encoding{}
	for _, e := range encs {
		res = mergeWith(res, e)
	}
	return res
}

func mergeWith(a, b *Encoding) *Encoding {
	var over []*Encoding
	for _, ao := range a.Overflowing {
		n := ao.clone()
		n.Overflowing = nil
		bc := b.clone()
		bc.Overflowing = nil
		n.appendEncoding(bc)
		over = append(over, n)
		for _, bo := range b.Overflowing {
			n := ao.clone()
			n.Overflowing = nil
			n.appendEncoding(bo)
			over = append(over, n)
		}
	}
	for _, bo := range b.Overflowing {
		n := a.clone()
		n.Overflowing = nil
		n.appendEncoding(bo)
		over = append(over, n)
	}
	a.appendEncoding(b)
	a.Overflowing = over
	return a
}
