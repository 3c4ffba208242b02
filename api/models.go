package api

// Object kinds carried in the "object" field of OpenAI responses.
const (
	// ObjectModel is Model.Object.
	ObjectModel = "model"
	// ObjectList is ModelList.Object.
	ObjectList = "list"
)

// Model describes one servable model, as the OpenAI API reference's
// "The model object" (GET /v1/models/{model}).
type Model struct {
	// ID is the name clients put in the "model" field of their requests.
	ID string `json:"id"`
	// Object is always ObjectModel ("model").
	Object string `json:"object"`
	// Created is when the model was made available, in Unix seconds.
	Created int64 `json:"created"`
	// OwnedBy is the organisation that owns the model (for Hugging Face
	// models, the part of the repository id before the slash).
	OwnedBy string `json:"owned_by"`
}

// ModelList is the body of GET /v1/models, as the OpenAI API reference's
// "List models".
type ModelList struct {
	// Object is always ObjectList ("list").
	Object string `json:"object"`
	// Data holds the models. Senders keep it non-nil so that an empty
	// list encodes as [] (as OpenAI sends it) rather than null.
	Data []Model `json:"data"`
}
