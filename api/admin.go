package api

import "time"

// ObjectAdminModel is AdminModel.Object.
const ObjectAdminModel = "admin.model"

// AdminModel is one model as GET /admin/models reports it.
type AdminModel struct {
	ID     string `json:"id"`
	Object string `json:"object"` // always ObjectAdminModel
	// State is available, loading, loaded, failed or unloading.
	State string `json:"state"`
	// Error says why the last load failed, in the failed state.
	Error string `json:"error,omitempty"`
	// LastLoadError is the last load failure of any kind, even after a
	// later success.
	LastLoadError    string  `json:"last_load_error,omitempty"`
	Pinned           bool    `json:"pinned"`
	KeepAliveSeconds float64 `json:"keep_alive_seconds"` // -1: never unloaded when idle
	EstimatedBytes   int64   `json:"estimated_bytes"`
	ResidentBytes    int64   `json:"resident_bytes"`
	ReservedBytes    int64   `json:"reserved_bytes"`
	// LastUsed is null for a model never used.
	LastUsed        *time.Time        `json:"last_used"`
	InFlight        int               `json:"in_flight"`
	Hits            uint64            `json:"hits"`
	Misses          uint64            `json:"misses"`
	Evictions       map[string]uint64 `json:"evictions"` // by reason: lru, memory, keep_alive, admin
	Loads           uint64            `json:"loads"`
	LoadFailures    uint64            `json:"load_failures"`
	LastLoadSeconds float64           `json:"last_load_seconds"`
}

// AdminMemory is the model manager's use of its limits.
type AdminMemory struct {
	BudgetBytes     int64 `json:"budget_bytes"` // 0: no budget
	ReservedBytes   int64 `json:"reserved_bytes"`
	MaxLoadedModels int   `json:"max_loaded_models"` // 0: no limit
	LoadedModels    int   `json:"loaded_models"`
}

// AdminModelList is the body of GET /admin/models.
type AdminModelList struct {
	Object string       `json:"object"` // always ObjectList
	Data   []AdminModel `json:"data"`
	Memory AdminMemory  `json:"memory"`
}
