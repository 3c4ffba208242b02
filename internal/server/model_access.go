package server

import "fmt"

// modelForbiddenError is a request for a model its API key may not use
// (auth.Principal.AllowsModel): 403 in every API's shape.
type modelForbiddenError struct{ name string }

func (e *modelForbiddenError) Error() string {
	return fmt.Sprintf("This API key is not allowed to use the model '%s'", e.name)
}
