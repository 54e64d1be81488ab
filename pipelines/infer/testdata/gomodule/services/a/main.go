package main

import (
	"example.com/mono/libs/b/internal"
	"example.com/mono/libs/c"
	"example.com/mono/shared"
)

func main() { internal.X(); c.Y(); shared.Z() }
