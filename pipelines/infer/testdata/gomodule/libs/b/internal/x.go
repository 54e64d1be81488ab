package internal

// X is.
func X() {}
