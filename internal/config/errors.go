package config

import (
	"fmt"
	"math"
	"strings"
)

// Source says where a value came from: "default", "file:/path", "env:HFSERVE_X" or
// "flag:--x".
type Source string

// SourceDefault marks a value nobody set.
const SourceDefault Source = "default"

func fileSource(path string) Source { return Source("file:" + path) }
func envSource(name string) Source  { return Source("env:" + name) }
func flagSource(name string) Source { return Source("flag:--" + name) }

// Error is a configuration problem: which key, where its value came from, and what is wrong.
type Error struct {
	Key    string // the key, e.g. max_batch_size, or models[2].task inside a list
	Source Source // where the bad value came from; empty when unknown
	Line   int    // line in the config file, when the value came from one; else 0
	Msg    string // what is wrong
}

// Error formats e as "config: KEY (from SOURCE, line N): MSG".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.Key)
	switch {
	case e.Source != "" && e.Line > 0:
		fmt.Fprintf(&b, " (from %s, line %d)", e.Source, e.Line)
	case e.Source != "":
		fmt.Fprintf(&b, " (from %s)", e.Source)
	case e.Line > 0:
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// unknownKeyMsg explains an unknown key, suggesting the nearest known one when it is close
// enough to be a typo.
func unknownKeyMsg(key string, known []string) string {
	msg := "unknown key"
	if guess := nearest(key, known); guess != "" {
		msg += fmt.Sprintf("; did you mean %s?", guess)
	}
	return msg
}

// nearest returns the candidate closest to word by edit distance, if it is within a third of
// the word's length or one of the two starts with the other (max_batch for max_batch_size).
// Long words are no typos of short keys, and skipping them keeps hostile input from costing
// quadratic time.
func nearest(word string, candidates []string) string {
	if len(word) > 64 || word == "" {
		return ""
	}
	best, bestDistance := "", math.MaxInt
	for _, c := range candidates {
		d := editDistance(word, c)
		near := d <= len(word)/3 || strings.HasPrefix(c, word) || strings.HasPrefix(word, c)
		if near && d < bestDistance {
			best, bestDistance = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, over bytes: keys are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
