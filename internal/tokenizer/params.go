package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
)

// TruncationStrategy says which sequence of a pair loses tokens.
type TruncationStrategy int

// Truncation strategies, as in the Rust library.
const (
	LongestFirst TruncationStrategy = iota
	OnlyFirst
	OnlySecond
)

// TruncationParams limits the number of tokens of an encoding.
type TruncationParams struct {
	// MaxLength counts the special tokens the post-processor adds.
	MaxLength int
	Strategy  TruncationStrategy
	Stride    int
	Direction TruncationDirection
}

// PaddingParams pads encodings to a fixed length or to the longest of a batch.
type PaddingParams struct {
	// Fixed is the target length; 0 means the longest encoding of the batch.
	Fixed           int
	PadToMultipleOf int
	PadID           int32
	PadTypeID       int32
	PadToken        string
	Direction       TruncationDirection
}

func parseDirection(s *string, what string) (TruncationDirection, error) {
	if s == nil {
		return Right, nil
	}
	switch *s {
	case "Right":
		return Right, nil
	case "Left":
		return Left, nil
	}
	return Right, fmt.Errorf("%s: unknown direction %q", what, *s)
}

func parseTruncation(raw json.RawMessage) (*TruncationParams, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c struct {
		MaxLength *int    `json:"max_length"`
		Strategy  *string `json:"strategy"`
		Stride    int     `json:"stride"`
		Direction *string `json:"direction"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("truncation: %w", err)
	}
	t := &TruncationParams{MaxLength: 512, Stride: c.Stride}
	if c.MaxLength != nil {
		t.MaxLength = *c.MaxLength
	}
	if t.MaxLength < 0 || t.Stride < 0 {
		return nil, errors.New("truncation: max_length and stride must not be negative")
	}
	if c.Strategy != nil {
		switch *c.Strategy {
		case "LongestFirst":
		case "OnlyFirst":
			t.Strategy = OnlyFirst
		case "OnlySecond":
			t.Strategy = OnlySecond
		default:
			return nil, fmt.Errorf("truncation: unknown strategy %q", *c.Strategy)
		}
	}
	var err error
	if t.Direction, err = parseDirection(c.Direction, "truncation"); err != nil {
		return nil, err
	}
	return t, nil
}

func parsePadding(raw json.RawMessage) (*PaddingParams, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c struct {
		Strategy        json.RawMessage `json:"strategy"`
		Direction       *string         `json:"direction"`
		PadToMultipleOf *int            `json:"pad_to_multiple_of"`
		PadID           int32           `json:"pad_id"`
		PadTypeID       int32           `json:"pad_type_id"`
		PadToken        *string         `json:"pad_token"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("padding: %w", err)
	}
	p := &PaddingParams{PadID: c.PadID, PadTypeID: c.PadTypeID, PadToken: "[PAD]"}
	if c.PadToken != nil {
		p.PadToken = *c.PadToken
	}
	if c.PadToMultipleOf != nil {
		if *c.PadToMultipleOf < 0 {
			return nil, errors.New("padding: pad_to_multiple_of must not be negative")
		}
		p.PadToMultipleOf = *c.PadToMultipleOf
	}
	if !isNull(c.Strategy) {
		var s string
		var fixed struct {
			Fixed *int `json:"Fixed"`
		}
		switch {
		case json.Unmarshal(c.Strategy, &s) == nil:
			if s != "BatchLongest" {
				return nil, fmt.Errorf("padding: unknown strategy %q", s)
			}
		case json.Unmarshal(c.Strategy, &fixed) == nil && fixed.Fixed != nil:
			if *fixed.Fixed <= 0 {
				return nil, errors.New("padding: Fixed length must be positive")
			}
			p.Fixed = *fixed.Fixed
		default:
			return nil, fmt.Errorf("padding: unknown strategy %s", truncateJSON(c.Strategy))
		}
	}
	var err error
	if p.Direction, err = parseDirection(c.Direction, "padding"); err != nil {
		return nil, err
	}
	return p, nil
}

// truncateEncodings is the Rust truncate_encodings.
func truncateEncodings(a, b *Encoding, t *TruncationParams, maxLen int) error {
	if maxLen == 0 {
		if err := a.truncate(0, t.Stride, t.Direction); err != nil {
			return err
		}
		if b != nil {
			return b.truncate(0, t.Stride, t.Direction)
		}
		return nil
	}
	total := a.Len()
	if b != nil {
		total += b.Len()
	}
	if total <= maxLen {
		return nil
	}
	toRemove := total - maxLen
	switch t.Strategy {
	case LongestFirst:
		if b == nil {
			return a.truncate(total-toRemove, t.Stride, t.Direction)
		}
		n1, n2 := a.Len(), b.Len()
		swap := n1 > n2
		if swap {
			n1, n2 = n2, n1
		}
		if n1 > maxLen {
			n2 = n1
		} else {
			n2 = max(n1, maxLen-n1)
		}
		if n1+n2 > maxLen {
			n1 = maxLen / 2
			n2 = n1 + maxLen%2
		}
		if swap {
			n1, n2 = n2, n1
		}
		if err := a.truncate(n1, t.Stride, t.Direction); err != nil {
			return err
		}
		return b.truncate(n2, t.Stride, t.Direction)
	default:
		target := a
		if t.Strategy == OnlySecond {
			if b == nil {
				return errors.New("truncation: OnlySecond needs a second sequence")
			}
			target = b
		}
		if target.Len() <= toRemove {
			return errors.New("truncation: the sequence to truncate is too short to respect the maximum length")
		}
		return target.truncate(target.Len()-toRemove, t.Stride, t.Direction)
	}
}

// padEncodings is the Rust pad_encodings.
func padEncodings(encs []*Encoding, p *PaddingParams) {
	if len(encs) == 0 {
		return
	}
	target := p.Fixed
	if target == 0 {
		for _, e := range encs {
			target = max(target, e.Len())
		}
	}
	if m := p.PadToMultipleOf; m > 0 && target%m > 0 {
		target += m - target%m
	}
	for _, e := range encs {
		e.pad(target, p)
	}
}
