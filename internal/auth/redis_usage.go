package auth

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Counter names in usage fields "<counter>|<key id>|<model>". The model
// comes last because it may hold any character; key ids hold no '|'.
const (
	counterRequests  = "r"
	counterPrompt    = "p"
	counterGenerated = "g"
	counterErrors    = "e"
)

// AddUsage implements Store: HINCRBY in one MULTI/EXEC, so the records
// land together and concurrent replicas' increments all count.
func (s *RedisStore) AddUsage(ctx context.Context, records []UsageRecord) error {
	if len(records) == 0 {
		return nil
	}
	days := map[string]float64{}
	for _, r := range records {
		t, err := ParseDay(r.Day)
		if err != nil {
			return fmt.Errorf("auth: redis: add usage: %w", err)
		}
		if strings.Contains(r.KeyID, "|") {
			return fmt.Errorf("auth: redis: add usage: key id %q holds '|'", r.KeyID)
		}
		days[r.Day] = float64(t.Unix() / 86400)
	}
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, r := range records {
			if r.isZero() {
				continue
			}
			key := s.usageKey(r.Day)
			suffix := "|" + r.KeyID + "|" + r.Model
			for _, c := range []struct {
				name string
				n    int64
			}{{counterRequests, r.Requests}, {counterPrompt, r.PromptTokens}, {counterGenerated, r.GeneratedTokens}, {counterErrors, r.Errors}} {
				if c.n != 0 {
					p.HIncrBy(ctx, key, c.name+suffix, c.n)
				}
			}
		}
		for day, score := range days {
			p.ZAdd(ctx, s.usageDaysKey(), redis.Z{Score: score, Member: day})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("auth: redis: add %d usage records: %w", len(records), err)
	}
	return nil
}

// Usage implements Store: it reads the days in range from the day index,
// then each day's hash in one pipeline.
func (s *RedisStore) Usage(ctx context.Context, f UsageFilter) ([]UsageRecord, error) {
	rng := &redis.ZRangeBy{Min: "-inf", Max: "+inf"}
	for _, b := range []struct {
		day string
		dst *string
	}{{f.From, &rng.Min}, {f.To, &rng.Max}} {
		if b.day == "" {
			continue
		}
		t, err := ParseDay(b.day)
		if err != nil {
			return nil, fmt.Errorf("auth: redis: usage: %w", err)
		}
		*b.dst = strconv.FormatInt(t.Unix()/86400, 10)
	}
	days, err := s.client.ZRangeByScore(ctx, s.usageDaysKey(), rng).Result()
	if err != nil {
		return nil, fmt.Errorf("auth: redis: usage: %w", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(days))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, day := range days {
			cmds[i] = p.HGetAll(ctx, s.usageKey(day))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("auth: redis: usage: %w", err)
	}
	var records []UsageRecord
	for i, day := range days {
		byKey := map[usageKey]*UsageRecord{}
		for field, value := range cmds[i].Val() {
			if err := addUsageField(byKey, day, field, value); err != nil {
				return nil, fmt.Errorf("auth: redis: usage %s: %w", day, err)
			}
		}
		for _, r := range byKey {
			if f.matches(r) {
				records = append(records, *r)
			}
		}
	}
	sortUsage(records)
	return records, nil
}

// addUsageField adds one "<counter>|<key id>|<model>" field to its record.
func addUsageField(byKey map[usageKey]*UsageRecord, day, field, value string) error {
	parts := strings.SplitN(field, "|", 3)
	if len(parts) != 3 {
		return fmt.Errorf("malformed field %q", field)
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return fmt.Errorf("field %q: %w", field, err)
	}
	k := usageKey{day, parts[1], parts[2]}
	r := byKey[k]
	if r == nil {
		r = &UsageRecord{Day: day, KeyID: parts[1], Model: parts[2]}
		byKey[k] = r
	}
	switch parts[0] {
	case counterRequests:
		r.Requests += n
	case counterPrompt:
		r.PromptTokens += n
	case counterGenerated:
		r.GeneratedTokens += n
	case counterErrors:
		r.Errors += n
	default:
		return fmt.Errorf("unknown counter in field %q", field)
	}
	return nil
}
