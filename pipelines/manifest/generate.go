package manifest

// The JSON Schemas of monopipe.yaml and component.yaml, for editors, are
// made from this package's types and doc comments.
//go:generate go run ./internal/schemagen -src . -out ../../schema
