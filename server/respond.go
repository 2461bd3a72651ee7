package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/crierhq/crier/engine"
)

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: msg, Code: code})
}

// refused answers an engine's refusal: 404 for what does not exist, 403
// for what this user may not do, 409 for what the record does not allow
// now (a message already sent, an activation ended).
func refused(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, engine.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, engine.ErrNotAllowed):
		writeError(w, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, engine.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "unprocessable", err.Error())
	default:
		writeError(w, http.StatusConflict, "conflict", err.Error())
	}
}

// readBody reads a request's body, within MaxBody. It answers the request
// itself when the body cannot be read.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit))
		return nil, false
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_request", "the body could not be read: "+err.Error())
		return nil, false
	}
	return body, true
}

// decode reads a JSON body into v: one object, no unknown fields, within
// MaxBody. It answers the request itself when the body is bad.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, next := dec.Token(); next != io.EOF {
			err = errors.New("more than one JSON value")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit))
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "bad_request", "the body is empty; expected a JSON object")
	default:
		writeError(w, http.StatusBadRequest, "bad_request", "the body is not the JSON expected: "+jsonProblem(err))
	}
	return false
}

// jsonProblem says what is wrong with a body in the user's terms: the
// field and the kind of value it takes, never Go's names for them.
func jsonProblem(err error) string {
	var typ *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &typ) && typ.Field == "":
		return "expected a JSON object, got " + article(typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s takes %s, not %s", typ.Field, jsonKind(typ.Type), article(typ.Value))
	case errors.As(err, &syntax):
		return fmt.Sprintf("%s (at byte %d)", syntax.Error(), syntax.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Bool:
		return "true or false"
	default:
		return "a number"
	}
}

func article(v string) string {
	switch v {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a " + v
}

// stateQuery reads ?state=, which must be one of states when given; it
// answers the request itself when it is not.
func stateQuery(w http.ResponseWriter, r *http.Request, states ...string) (string, bool) {
	st := r.URL.Query().Get("state")
	if st != "" && !slices.Contains(states, st) {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("state %q is not one of %s", st, strings.Join(states, ", ")))
		return "", false
	}
	return st, true
}
