package generate

import (
	"bytes"
	"strings"
)

// stopStrings finds stop strings in generated text that grows at its end.
type stopStrings struct {
	stops  []string
	raw    [][]byte // stops as bytes, for searching the text
	maxLen int      // longest stop string, in bytes
}

// newStopStrings validates the stop strings of a request.
func newStopStrings(stops []string) (stopStrings, error) {
	s := stopStrings{stops: stops}
	for i, st := range stops {
		if st == "" {
			return stopStrings{}, paramErr("stop", "stop string %d is empty", i)
		}
		s.maxLen = max(s.maxLen, len(st))
		s.raw = append(s.raw, []byte(st))
	}
	return s, nil
}

// find returns the start of the earliest stop string in text that ends
// after byte prev (text[:prev] was searched before) and which one it is,
// or -1. Starting from the earliest match cuts the most text, which is what
// a client that sent overlapping stop strings expects.
func (s *stopStrings) find(text []byte, prev int) (int, string) {
	if len(s.stops) == 0 {
		return -1, ""
	}
	from := max(0, prev-s.maxLen+1)
	at, which := -1, ""
	for j, st := range s.stops {
		i := bytes.Index(text[from:], s.raw[j])
		if i < 0 {
			continue
		}
		if i += from; at < 0 || i < at || (i == at && len(st) > len(which)) {
			at, which = i, st
		}
	}
	return at, which
}

// holdback is the length of the longest suffix of text that is a proper
// prefix of a stop string: text that may still become a stop string, and
// so must not be streamed yet.
func (s *stopStrings) holdback(text []byte) int {
	for n := min(len(text), s.maxLen-1); n > 0; n-- {
		tail := text[len(text)-n:]
		for _, st := range s.stops {
			if strings.HasPrefix(st, string(tail)) {
				return n
			}
		}
	}
	return 0
}
