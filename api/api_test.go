package api

import (
	"encoding/json"
	"testing"
)

// The expected bodies are the shapes the OpenAI API reference documents:
// absent param and code are JSON null, never omitted.
func TestErrorResponseJSON(t *testing.T) {
	tests := []struct {
		name                          string
		errType, code, param, message string
		want                          string
	}{
		{
			name:    "absent param and code are null",
			errType: ErrTypeServer, message: "boom",
			want: `{"error":{"message":"boom","type":"server_error","param":null,"code":null}}`,
		},
		{
			name:    "all fields",
			errType: ErrTypeInvalidRequest, code: "model_not_found", param: "model",
			message: "The model 'x' does not exist",
			want:    `{"error":{"message":"The model 'x' does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(NewErrorResponse(tt.errType, tt.code, tt.param, tt.message))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			var back ErrorResponse
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if (back.Error.Param == nil) != (tt.param == "") || (back.Error.Code == nil) != (tt.code == "") {
				t.Errorf("round trip lost null-ness: %+v", back.Error)
			}
		})
	}
}

func TestModelListJSON(t *testing.T) {
	list := ModelList{Object: ObjectList, Data: []Model{{ID: "org/m", Object: ObjectModel, Created: 1700000000, OwnedBy: "org"}}}
	got, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"object":"list","data":[{"id":"org/m","object":"model","created":1700000000,"owned_by":"org"}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
