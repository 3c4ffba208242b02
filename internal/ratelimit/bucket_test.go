package ratelimit

import (
	"testing"
	"time"
)

// One request or token is 60000 units; a bucket of capacity c refills c
// units per millisecond, i.e. c per minute.
func TestBucketRefill(t *testing.T) {
	const u = unitsPerToken
	tests := []struct {
		name      string
		b         bucket
		limit     int64
		nowMs     int64
		wantLevel int64
		wantLast  int64
	}{
		{"never seen is full", bucket{}, 60, 5000, 60 * u, 5000},
		{"60/min refills one per second", bucket{level: 0, lastMs: 1000, known: true}, 60, 2000, u, 2000},
		{"half a second is half a request", bucket{level: 0, lastMs: 1000, known: true}, 60, 1500, u / 2, 1500},
		{"refill stops at capacity", bucket{level: 59 * u, lastMs: 0, known: true}, 60, 10_000, 60 * u, 10_000},
		{"negative refills towards capacity", bucket{level: -10 * u, lastMs: 0, known: true}, 60, 5000, -5 * u, 5000},
		{"clock going back refills nothing", bucket{level: 3 * u, lastMs: 9000, known: true}, 60, 4000, 3 * u, 9000},
		{"lowered capacity cuts the level", bucket{level: 100 * u, lastMs: 0, known: true}, 10, 0, 10 * u, 0},
		{"years idle at the largest limit do not overflow", bucket{level: levelFloor, lastMs: 0, known: true}, MaxLimit, 1 << 50, MaxLimit * u, 1 << 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level, last := tt.b.refilled(tt.limit, tt.nowMs)
			if level != tt.wantLevel || last != tt.wantLast {
				t.Fatalf("refilled = (%d, %d), want (%d, %d)", level, last, tt.wantLevel, tt.wantLast)
			}
		})
	}
}

func TestBucketWindow(t *testing.T) {
	const u = unitsPerToken
	tests := []struct {
		name         string
		limit, level int64
		want         Window
	}{
		{"unset", 0, 5 * u, Window{}},
		{"full", 60, 60 * u, Window{Limit: 60, Remaining: 60, Set: true}},
		// 60/min: each missing request takes a second to come back.
		{"two short", 60, 58 * u, Window{Limit: 60, Remaining: 58, Reset: 2 * time.Second, Set: true}},
		{"part of a request is not one", 60, 58*u + u/2, Window{Limit: 60, Remaining: 58, Reset: 1500 * time.Millisecond, Set: true}},
		// 1000/min: a token takes 60ms; 2500 missing take 150s.
		{"negative shows zero remaining", 1000, -1500 * u, Window{Limit: 1000, Remaining: 0, Reset: 150 * time.Second, Set: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := window(tt.limit, tt.level); got != tt.want {
				t.Fatalf("window(%d, %d) = %+v, want %+v", tt.limit, tt.level, got, tt.want)
			}
		})
	}
}

func TestWaitForOne(t *testing.T) {
	const u = unitsPerToken
	tests := []struct {
		limit, level int64
		want         time.Duration
	}{
		{60, u, 0},
		{60, 0, time.Second},
		{60, u / 4, 750 * time.Millisecond},
		{2, 0, 30 * time.Second},
		{1000, -1500 * u, 90060 * time.Millisecond}, // 1501 tokens at 60ms each
		{1, levelFloor, time.Duration(1<<63 - 1)},   // saturates: longer than a Duration holds
	}
	for _, tt := range tests {
		got := waitForOne(tt.limit, tt.level)
		if tt.want == time.Duration(1<<63-1) {
			if got < 100*365*24*time.Hour {
				t.Errorf("waitForOne(%d, %d) = %v, want a saturated wait", tt.limit, tt.level, got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("waitForOne(%d, %d) = %v, want %v", tt.limit, tt.level, got, tt.want)
		}
	}
}

func TestPeriods(t *testing.T) {
	tests := []struct {
		now                                      string
		dayStart, nextDay, monthStart, nextMonth string
	}{
		{"2026-11-26T12:34:56Z", "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"2026-12-31T23:59:59.999Z", "2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"2028-02-29T10:00:00Z", "2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"},
		// Another zone's evening is already the next UTC day.
		{"2026-11-26T23:30:00-05:00", "2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"},
	}
	for _, tt := range tests {
		p := periodsAt(at(tt.now))
		got := []time.Time{p.dayStart, p.nextDay, p.monthStart, p.nextMonth}
		for i, want := range []string{tt.dayStart, tt.nextDay, tt.monthStart, tt.nextMonth} {
			if !got[i].Equal(at(want)) || got[i].Location() != time.UTC {
				t.Errorf("periodsAt(%s)[%d] = %v, want %s in UTC", tt.now, i, got[i], want)
			}
		}
	}
}
