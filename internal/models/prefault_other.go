//go:build !linux

package models

// willNeed has no portable equivalent: the pages are read when touched.
func willNeed(span) {}

// populate touches every page of b.
func populate(b []byte) { touch(b) }
