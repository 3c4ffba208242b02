package ratelimit

import "time"

// periods are the UTC calendar day and month that contain one instant.
type periods struct {
	dayStart, nextDay     time.Time
	monthStart, nextMonth time.Time
}

// periodsAt returns the UTC day and month that contain t.
func periodsAt(t time.Time) periods {
	t = t.UTC()
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	month := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return periods{dayStart: day, nextDay: day.AddDate(0, 0, 1), monthStart: month, nextMonth: month.AddDate(0, 1, 0)}
}
