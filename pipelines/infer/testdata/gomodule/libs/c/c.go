package c

// Y is.
func Y() {}
