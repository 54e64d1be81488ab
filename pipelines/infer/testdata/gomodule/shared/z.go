package shared

// Z is.
func Z() {}
