package auth

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flakyStore fails AddUsage or TouchKeys while told to.
type flakyStore struct {
	Store
	failAdd, failTouch atomic.Bool
}

var errFlaky = errors.New("store unavailable")

func (f *flakyStore) AddUsage(ctx context.Context, r []UsageRecord) error {
	if f.failAdd.Load() {
		return errFlaky
	}
	return f.Store.AddUsage(ctx, r)
}

func (f *flakyStore) TouchKeys(ctx context.Context, m map[string]time.Time) error {
	if f.failTouch.Load() {
		return errFlaky
	}
	return f.Store.TouchKeys(ctx, m)
}

func TestUsageRecorderFlushesAndMerges(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock() // 23:59 UTC: a minute before the next day
	store := &flakyStore{Store: openTestSQLite(t)}
	u := NewUsageRecorder(store, UsageOptions{Now: clock.Now})
	day1 := Day(clock.Now())

	u.Record("key_a", "gpt2", 10, 5, false)
	u.Record("key_a", "gpt2", 1, -3, true) // negative tokens count as 0
	u.Record("key_b", "bert", 7, 0, false)
	if err := u.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	day2 := Day(clock.Now())
	u.Record("key_a", "gpt2", 100, 50, false) // pending, on the next day

	want := []UsageRecord{
		{Day: day1, KeyID: "key_a", Model: "gpt2", Requests: 2, PromptTokens: 11, GeneratedTokens: 5, Errors: 1},
		{Day: day1, KeyID: "key_b", Model: "bert", Requests: 1, PromptTokens: 7},
		{Day: day2, KeyID: "key_a", Model: "gpt2", Requests: 1, PromptTokens: 100, GeneratedTokens: 50},
	}
	got, err := u.Usage(ctx, UsageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored + pending\n got %+v\nwant %+v", got, want)
	}
	stored, err := store.Usage(ctx, UsageFilter{})
	if err != nil || len(stored) != 2 {
		t.Fatalf("store before the second flush: %+v, %v; want the first two records", stored, err)
	}
	for _, c := range []struct {
		from string
		want int64
	}{{day1, 16 + 150}, {day2, 150}, {"2099-01-01", 0}} {
		n, err := u.TokensUsed(ctx, "key_a", c.from)
		if err != nil || n != c.want {
			t.Fatalf("TokensUsed(key_a, %s) = %d, %v; want %d", c.from, n, err, c.want)
		}
	}
	if err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
	stored, err = store.Usage(ctx, UsageFilter{})
	if err != nil || !reflect.DeepEqual(stored, want) {
		t.Fatalf("store after Close\n got %+v, %v\nwant %+v", stored, err, want)
	}
}

func TestUsageRecorderKeepsCountsWhenTheStoreFails(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	sqlite := openTestSQLite(t)
	store := &flakyStore{Store: sqlite}
	m := NewManager(sqlite, ManagerOptions{Now: clock.Now})
	k, _, err := m.Create(ctx, KeySpec{Name: "u"})
	if err != nil {
		t.Fatal(err)
	}
	u := NewUsageRecorder(store, UsageOptions{Now: clock.Now})
	day := Day(clock.Now())

	u.Record(k.ID, "gpt2", 1, 1, false)
	store.failAdd.Store(true)
	if err := u.Flush(ctx); !errors.Is(err, errFlaky) {
		t.Fatalf("Flush with the store down: %v", err)
	}
	clock.Advance(time.Second)
	lastUse := clock.Now()
	u.Record(k.ID, "gpt2", 2, 2, false) // recorded between failures
	if err := u.Flush(ctx); !errors.Is(err, errFlaky) {
		t.Fatalf("Flush with the store down: %v", err)
	}
	store.failAdd.Store(false)
	store.failTouch.Store(true)
	if err := u.Flush(ctx); !errors.Is(err, errFlaky) {
		t.Fatalf("Flush with TouchKeys failing: %v", err)
	}
	store.failTouch.Store(false)
	if err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Counted once, not lost and not twice (AddUsage succeeded once).
	stored, err := store.Usage(ctx, UsageFilter{})
	want := []UsageRecord{{Day: day, KeyID: k.ID, Model: "gpt2", Requests: 2, PromptTokens: 3, GeneratedTokens: 3}}
	if err != nil || !reflect.DeepEqual(stored, want) {
		t.Fatalf("after recovering\n got %+v, %v\nwant %+v", stored, err, want)
	}
	got, err := m.Get(ctx, k.ID)
	if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(lastUse) {
		t.Fatalf("LastUsedAt = %v, %v; want %v", got.LastUsedAt, err, lastUse)
	}
}

func TestUsageRecorderConcurrent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := openTestSQLite(t)
	u := NewUsageRecorder(store, UsageOptions{})
	done := make(chan struct{})
	go func() { u.Run(ctx, time.Millisecond); close(done) }()
	const workers, each = 4, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range each {
				u.Record("key_c", "m", 1, 2, i%10 == 0)
			}
		})
	}
	wg.Wait()
	cancel()
	<-done
	if err := u.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := store.Usage(context.Background(), UsageFilter{KeyID: "key_c"})
	if err != nil {
		t.Fatal(err)
	}
	var r UsageRecord
	for _, g := range got { // the run may straddle midnight UTC
		r.add(&g)
	}
	n := int64(workers * each)
	if r.Requests != n || r.PromptTokens != n || r.GeneratedTokens != 2*n || r.Errors != n/10 {
		t.Fatalf("after concurrent records and flushes: %+v; want %d requests", r, n)
	}
}

func TestUsageFilterValidate(t *testing.T) {
	for _, c := range []struct {
		f         UsageFilter
		wantField string
	}{
		{UsageFilter{}, ""},
		{UsageFilter{From: "2026-01-01", To: "2026-01-01"}, ""},
		{UsageFilter{From: "2026-1-1"}, "from"},
		{UsageFilter{To: "2026-02-30"}, "to"},
		{UsageFilter{From: "yesterday"}, "from"},
		{UsageFilter{From: "2026-01-02", To: "2026-01-01"}, "to"},
	} {
		err := c.f.Validate()
		var ve *ValidationError
		if c.wantField == "" && err != nil || c.wantField != "" && (!errors.As(err, &ve) || ve.Field != c.wantField) {
			t.Errorf("Validate(%+v) = %v, want field %q", c.f, err, c.wantField)
		}
	}
	u := NewUsageRecorder(openTestSQLite(t), UsageOptions{})
	if _, err := u.Usage(context.Background(), UsageFilter{From: "bad"}); err == nil {
		t.Fatal("Usage accepted a bad filter")
	}
}

func TestWriteUsage(t *testing.T) {
	records := []UsageRecord{
		{Day: "2026-01-01", KeyID: "key_a", Model: "Qwen/Qwen3, \"0.6B\"", Requests: 3, PromptTokens: 10, GeneratedTokens: 20, Errors: 1},
		{Day: "2026-01-02", KeyID: "admin", Model: "=HYPERLINK(\"x\")", Requests: 1},
	}
	var buf bytes.Buffer
	if err := WriteUsageCSV(&buf, records); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		UsageCSVHeader(),
		{"2026-01-01", "key_a", "Qwen/Qwen3, \"0.6B\"", "3", "10", "20", "1"},
		{"2026-01-02", "admin", "'=HYPERLINK(\"x\")", "1", "0", "0", "0"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("CSV read back\n got %q\nwant %q", rows, want)
	}

	for _, in := range [][]UsageRecord{records, nil} {
		buf.Reset()
		if err := WriteUsageJSON(&buf, in); err != nil {
			t.Fatal(err)
		}
		var list UsageList
		if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
			t.Fatal(err)
		}
		if list.Object != "list" || list.Data == nil || len(list.Data) != len(in) || (len(in) > 0 && !reflect.DeepEqual(list.Data, in)) {
			t.Fatalf("JSON %s does not read back as %+v", buf.Bytes(), in)
		}
	}
}
