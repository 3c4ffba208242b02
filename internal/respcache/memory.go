package respcache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// entryOverhead approximates the bookkeeping bytes of one entry (list
// element, map slots, struct), so that many tiny values still count.
const entryOverhead = 160

// MemoryOptions bound a Memory backend. Zero bounds mean no bound.
type MemoryOptions struct {
	// MaxEntries bounds the number of entries (cache_max_size).
	MaxEntries int
	// MaxBytes bounds the bytes held, keys, values and bookkeeping
	// counted (cache_max_bytes). A value larger than the bound is not
	// stored.
	MaxBytes int64
	// Clock tells the time for TTLs; nil is time.Now.
	Clock func() time.Time
}

// Memory is an in-process backend: an LRU list bounded by entries and
// bytes, with a TTL per entry checked on read. InvalidateModel and Flush
// drop the entries at once. The zero value is not usable; build it with
// NewMemory.
type Memory struct {
	opts MemoryOptions
	now  func() time.Time

	mu      sync.Mutex
	lru     *list.List // front: most recently used; values are *memEntry
	byKey   map[Key]*list.Element
	byModel map[string]map[Key]struct{}
	global  uint64
	gens    map[string]uint64
	bytes   int64

	evictions, expirations uint64
}

type memEntry struct {
	key     Key
	model   string
	stamp   Stamp
	value   []byte
	size    int64
	expires time.Time // zero: never
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty Memory backend.
func NewMemory(opts MemoryOptions) *Memory {
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	return &Memory{opts: opts, now: now, lru: list.New(), byKey: map[Key]*list.Element{},
		byModel: map[string]map[Key]struct{}{}, gens: map[string]uint64{}}
}

// Name is "memory".
func (m *Memory) Name() string { return "memory" }

func (m *Memory) stampLocked(model string) Stamp {
	return Stamp{Global: m.global, Model: m.gens[model]}
}

// Get returns a live entry and marks it most recently used.
func (m *Memory) Get(_ context.Context, model string, key Key) ([]byte, Stamp, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	stamp := m.stampLocked(model)
	el, ok := m.byKey[key]
	if !ok {
		return nil, stamp, nil
	}
	e := el.Value.(*memEntry)
	if !e.expires.IsZero() && !m.now().Before(e.expires) {
		m.expirations++
		m.removeLocked(el)
		return nil, stamp, nil
	}
	if e.stamp != stamp || e.model != model {
		m.removeLocked(el)
		return nil, stamp, nil
	}
	m.lru.MoveToFront(el)
	return e.value, stamp, nil
}

// Stamp returns model's current stamp.
func (m *Memory) Stamp(_ context.Context, model string) (Stamp, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stampLocked(model), nil
}

// Set stores value, evicting the least recently used entries (expired ones
// count as used last) until the bounds hold. A stale stamp or a value
// larger than MaxBytes is dropped.
func (m *Memory) Set(_ context.Context, model string, key Key, stamp Stamp, value []byte, ttl time.Duration) error {
	size := int64(len(value)+len(key)+len(model)) + entryOverhead
	m.mu.Lock()
	defer m.mu.Unlock()
	if stamp != m.stampLocked(model) || (m.opts.MaxBytes > 0 && size > m.opts.MaxBytes) {
		return nil
	}
	if el, ok := m.byKey[key]; ok {
		m.removeLocked(el)
	}
	e := &memEntry{key: key, model: model, stamp: stamp, value: value, size: size}
	if ttl > 0 {
		e.expires = m.now().Add(ttl)
	}
	m.byKey[key] = m.lru.PushFront(e)
	keys := m.byModel[model]
	if keys == nil {
		keys = map[Key]struct{}{}
		m.byModel[model] = keys
	}
	keys[key] = struct{}{}
	m.bytes += size
	for m.overLocked() {
		back := m.lru.Back()
		if back == nil {
			break
		}
		if be := back.Value.(*memEntry); !be.expires.IsZero() && !m.now().Before(be.expires) {
			m.expirations++
		} else {
			m.evictions++
		}
		m.removeLocked(back)
	}
	return nil
}

func (m *Memory) overLocked() bool {
	return (m.opts.MaxEntries > 0 && m.lru.Len() > m.opts.MaxEntries) ||
		(m.opts.MaxBytes > 0 && m.bytes > m.opts.MaxBytes)
}

func (m *Memory) removeLocked(el *list.Element) {
	e := el.Value.(*memEntry)
	m.lru.Remove(el)
	delete(m.byKey, e.key)
	if keys := m.byModel[e.model]; keys != nil {
		delete(keys, e.key)
		if len(keys) == 0 {
			delete(m.byModel, e.model)
		}
	}
	m.bytes -= e.size
}

// InvalidateModel bumps model's generation and drops its entries.
func (m *Memory) InvalidateModel(_ context.Context, model string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gens[model]++
	for key := range m.byModel[model] {
		m.removeLocked(m.byKey[key])
	}
	return nil
}

// Flush bumps the global generation and drops every entry.
func (m *Memory) Flush(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.global++
	m.lru.Init()
	m.byKey = map[Key]*list.Element{}
	m.byModel = map[string]map[Key]struct{}{}
	m.bytes = 0
	return nil
}

// Usage reports the entries and bytes held and the evictions so far.
func (m *Memory) Usage() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Usage{Entries: int64(m.lru.Len()), Bytes: m.bytes, Evictions: m.evictions, Expirations: m.expirations}
}

// Close drops every entry.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lru.Init()
	m.byKey = map[Key]*list.Element{}
	m.byModel = map[string]map[Key]struct{}{}
	m.bytes = 0
	return nil
}
