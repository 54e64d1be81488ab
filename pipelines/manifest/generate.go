package manifest

// The JSON Schemas of monopipe.yaml and component.yaml, for editors, and
// their configuration reference (docs/reference.md) are made from this
// package's types and doc comments.
//go:generate go run ./internal/schemagen -src . -out ../../schema -ref ../../docs/reference.md
