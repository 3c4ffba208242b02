package api

// Values of Health.Status.
const (
	// HealthOK answers GET /health while the process lives.
	HealthOK = "ok"
	// HealthReady answers GET /ready (200) when requests can be served.
	HealthReady = "ready"
	// HealthNotReady answers GET /ready (503) before start-up has finished.
	HealthNotReady = "not_ready"
	// HealthShuttingDown answers GET /ready (503) while the server drains.
	HealthShuttingDown = "shutting_down"
)

// Health is the body of GET /health (liveness) and GET /ready (readiness).
// Probes need only the status code; the body is for people.
type Health struct {
	// Status is one of the Health* constants.
	Status string `json:"status"`
}
