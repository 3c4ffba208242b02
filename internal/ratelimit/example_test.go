package ratelimit_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"hfserve/internal/ratelimit"
)

// A handler admits each request, writes the headers whatever the answer,
// refuses with 429, and charges the tokens it used when it is done.
func Example() {
	clock := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	limiter := ratelimit.NewLocal(ratelimit.LocalOptions{Now: func() time.Time { return clock }})
	limits := ratelimit.Limits{RPM: 1, TPM: 1000}

	handler := func(w http.ResponseWriter, r *http.Request) {
		d, ticket, err := limiter.Admit(r.Context(), "key_1", limits, 0)
		if err != nil {
			log.Printf("rate limiter failed, serving anyway: %v", err) // fail open
		}
		d.WriteHeaders(w.Header())
		if err == nil && !d.Allowed {
			http.Error(w, "rate limited: "+d.Reason, http.StatusTooManyRequests)
			return
		}
		usedTokens := int64(42) // known once the response is generated
		defer func() {
			if err := ticket.Done(context.WithoutCancel(r.Context()), usedTokens); err != nil {
				log.Printf("rate limiter release: %v", err)
			}
		}()
		fmt.Fprintln(w, "ok")
	}

	for range 2 {
		rec := httptest.NewRecorder()
		handler(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil))
		h := rec.Header()
		fmt.Printf("%d retry-after=%q requests=%s reset=%s tokens=%s\n", rec.Code, h.Get("Retry-After"),
			h.Get("X-Ratelimit-Remaining-Requests"), h.Get("X-Ratelimit-Reset-Requests"), h.Get("X-Ratelimit-Remaining-Tokens"))
	}
	// Output:
	// 200 retry-after="" requests=0 reset=1m0s tokens=1000
	// 429 retry-after="60" requests=0 reset=1m0s tokens=958
}
